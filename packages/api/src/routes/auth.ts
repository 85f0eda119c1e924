import { rateLimited, type User } from '@chorus/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { actorOf } from '../plugins/authenticate.js';
import { bearerAuth, errorResponses, PublicUser } from '../schemas.js';

const SignupBody = Type.Object(
  {
    username: Type.String({ minLength: 3, maxLength: 32, pattern: '^[A-Za-z0-9_.-]+$' }),
    email: Type.String({ format: 'email', maxLength: 254 }),
    password: Type.String({ minLength: 8, maxLength: 256 }),
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

const Session = Type.Object({ user: PublicUser, token: Type.String({ description: 'JWT for Authorization: Bearer' }) });

const publicUser = (user: User) => ({ id: user.id, username: user.username, email: user.email });

/** Per client IP and login name, so one attacker cannot lock others out of their accounts. */
function loginRateKey(request: FastifyRequest): string {
  const login = (request.body as { login?: unknown } | undefined)?.login;
  return `${request.ip}|${typeof login === 'string' ? login.trim().toLowerCase() : ''}`;
}

export const authRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { accounts, config }) => {
  app.post(
    '/api/auth/signup',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create an account',
        body: SignupBody,
        response: { 201: Session, ...errorResponses(400, 409, 413) },
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
      config: {
        rateLimit: {
          max: config.limits.loginAttemptsPerMinute,
          timeWindow: 60_000,
          // After validation, so the key can include the login name.
          hook: 'preHandler',
          keyGenerator: loginRateKey,
          errorResponseBuilder: (_request, context) =>
            rateLimited('too many login attempts; try again later', Math.max(1, Math.ceil(context.ttl / 1000))),
        },
      },
      schema: {
        tags: ['auth'],
        summary: 'Log in with username or email',
        body: LoginBody,
        response: { 200: Session, ...errorResponses(400, 401, 413, 429) },
      },
    },
    async (request) => {
      const { user, token } = await accounts.login(request.body.login, request.body.password);
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
    async (request) => publicUser(await accounts.current(actorOf(request))),
  );
};
