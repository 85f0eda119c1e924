import { rateLimited, type User } from '@chorus/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { actorOf } from '../plugins/authenticate.js';
import { budget } from '../plugins/budget.js';
import { bearerAuth, errorResponses, PublicUser } from '../schemas.js';

/** The password rules, for signup and every password change. */
export const NewPassword = Type.String({ minLength: 8, maxLength: 256 });

const SignupBody = Type.Object(
  {
    username: Type.String({ minLength: 3, maxLength: 32, pattern: '^[A-Za-z0-9_.-]+$' }),
    email: Type.String({ format: 'email', maxLength: 254 }),
    password: NewPassword,
  },
  { additionalProperties: false },
);

const LoginBody = Type.Object(
  {
    login: Type.String({ minLength: 1, maxLength: 254, description: 'username or email' }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);

export const Session = Type.Object({ user: PublicUser, token: Type.String({ description: 'JWT for Authorization: Bearer' }) });

export const publicUser = (user: User) => ({ id: user.id, username: user.username, email: user.email });

const loginName = (request: FastifyRequest): string => {
  const login = (request.body as { login?: unknown } | undefined)?.login;
  return typeof login === 'string' ? login.trim().toLowerCase() : '';
};

const retryAfter = (context: { ttl: number }) => Math.max(1, Math.ceil(context.ttl / 1000));

export const authRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { accounts, config }) => {
  const { limits } = config;

  // Two login budgets, both counted in Redis with REDIS_URL (shared by every replica):
  // per address and login name, so one attacker cannot lock others out of their accounts; and per
  // account from all addresses together (a higher budget), so guessing one account from many
  // addresses is no faster. The account is keyed by its id once looked up, so its username and
  // email share one budget (unknown names are keyed by the name).
  const message = 'too many login attempts; try again later';
  // A preHandler (after validation), so the key can include the login name.
  const perAddress = budget(app, { max: limits.loginAttemptsPerMinute, timeWindowMs: 60_000, key: (request) => `login|${request.ip}|${loginName(request)}`, message });
  const perAccount = budget(app, { max: limits.loginAccountAttemptsPerMinute, timeWindowMs: 60_000, key: (request) => `login-account|${loginName(request)}`, message });

  app.post(
    '/api/auth/signup',
    {
      config: {
        rateLimit: {
          max: limits.signupsPerHour,
          timeWindow: 3_600_000,
          keyGenerator: (request: FastifyRequest) => `signup|${request.ip}`,
          errorResponseBuilder: (_request, context) => rateLimited('too many sign-ups from this address; try again later', retryAfter(context)),
        },
      },
      schema: {
        tags: ['auth'],
        summary: 'Create an account',
        body: SignupBody,
        response: { 201: Session, ...errorResponses(400, 409, 413, 429) },
      },
    },
    async (request, reply) => {
      const { user, token } = await accounts.signup(request.body);
      return reply.status(201).send({ user: publicUser(user), token });
    },
  );

  app.post(
    '/api/auth/login',
    {
      preHandler: perAddress,
      schema: {
        tags: ['auth'],
        summary: 'Log in with username or email',
        body: LoginBody,
        response: { 200: Session, ...errorResponses(400, 401, 413, 429) },
      },
    },
    async (request) => {
      const { user, token } = await accounts.login(request.body.login, request.body.password, (accountId) =>
        accountId !== null ? perAccount.charge(request, `login-account|${accountId}`) : perAccount(request),
      );
      return { user: publicUser(user), token };
    },
  );

  app.get(
    '/api/me',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['auth'],
        summary: 'The current user',
        security: bearerAuth,
        response: { 200: PublicUser, ...errorResponses(401) },
      },
    },
    async (request) => {
      return publicUser(await accounts.current(actorOf(request)));
    },
  );
};
