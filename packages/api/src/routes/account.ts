import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { RouteDeps } from '../deps.js';
import { actorOf } from '../plugins/authenticate.js';
import { budget } from '../plugins/budget.js';
import { bearerAuth, errorResponses } from '../schemas.js';
import { NewPassword, publicUser, Session } from './auth.js';

/** A password being checked: the rules of the day it was set may differ, so only its bounds. */
const CurrentPassword = Type.String({ minLength: 1, maxLength: 256 });

const ChangePasswordBody = Type.Object({ currentPassword: CurrentPassword, newPassword: NewPassword }, { additionalProperties: false });
const DeleteAccountBody = Type.Object({ password: CurrentPassword }, { additionalProperties: false });

/**
 * The caller's account: change the password, log out everywhere, delete the account
 * (docs/accounts.md). The rules are AccountService's; a revoked token is refused by the
 * `authenticate` hook itself (TokenService.verify checks the token generation).
 */
export const accountRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { accounts, config }) => {
  // Checking a password is as dear as a login and as tempting to guess with a stolen token:
  // one budget per account (shared by every replica through Redis), the login's per-account size.
  const passwordChecks = budget(app, {
    max: config.limits.loginAccountAttemptsPerMinute,
    timeWindowMs: 60_000,
    key: (request) => `password-check|${actorOf(request).id}`,
    message: 'too many password attempts; try again later',
  });
  const common = { onRequest: app.authenticate };
  const schema = { tags: ['auth'], security: bearerAuth };

  app.post(
    '/api/me/password',
    {
      ...common,
      schema: {
        ...schema,
        summary: 'Change my password: every other session is logged out; the answer carries a fresh token',
        body: ChangePasswordBody,
        response: { 200: Session, ...errorResponses(400, 401, 403, 413, 429) },
      },
    },
    async (request) => {
      const { currentPassword, newPassword } = request.body;
      const { user, token } = await accounts.changePassword(actorOf(request), currentPassword, newPassword, () => passwordChecks(request));
      return { user: publicUser(user), token };
    },
  );

  app.post(
    '/api/me/logout-all',
    {
      ...common,
      schema: {
        ...schema,
        summary: 'Log out everywhere: every token issued so far is refused and open connections are closed, on every replica',
        response: { 204: Type.Null({ description: 'logged out' }), ...errorResponses(401) },
      },
    },
    async (request, reply) => {
      await accounts.logoutEverywhere(actorOf(request));
      return reply.status(204).send(null);
    },
  );

  app.delete(
    '/api/me',
    {
      ...common,
      schema: {
        ...schema,
        summary: 'Delete my account (messages stay, as "deleted user"; see docs/accounts.md)',
        body: DeleteAccountBody,
        response: { 204: Type.Null({ description: 'deleted' }), ...errorResponses(400, 401, 403, 413, 429) },
      },
    },
    async (request, reply) => {
      await accounts.deleteAccount(actorOf(request), request.body.password, () => passwordChecks(request));
      return reply.status(204).send(null);
    },
  );
};
