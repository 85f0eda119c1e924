import { BoundedWork, DUMMY_PASSWORD_HASH, hashPassword, rateLimited, unauthorized, verifyPassword, type User } from '@chorus/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { actorOf } from '../plugins/authenticate.js';
import { budget } from '../plugins/budget.js';
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

const loginName = (request: FastifyRequest): string => {
  const login = (request.body as { login?: unknown } | undefined)?.login;
  return typeof login === 'string' ? login.trim().toLowerCase() : '';
};

const retryAfter = (context: { ttl: number }) => Math.max(1, Math.ceil(context.ttl / 1000));

export const authRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { store, tokens, config }) => {
  const { limits } = config;
  // scrypt runs on libuv's thread pool (4 threads by default), which file reads and DNS share:
  // capping concurrent hashes keeps threads free for everyone else, and the bounded queue turns
  // a flood of logins into quick 429s instead of minutes of backlog.
  const hashing = new BoundedWork(limits.passwordHashConcurrency, limits.passwordHashQueue, 'too many logins and sign-ups at once; try again shortly');

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
      const { username, email, password } = request.body;
      const passwordHash = await hashing.run(() => hashPassword(password));
      const user = await store.createUser({ username, email, passwordHash });
      const token = await tokens.issue({ userId: user.id, username: user.username });
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
      const { login, password } = request.body;
      const credentials = await store.findCredentials(login.trim());
      await (credentials ? perAccount.charge(request, `login-account|${credentials.id}`) : perAccount(request));
      // Verify against a dummy hash for unknown users so that timing does not reveal which exist.
      const ok = await hashing.run(() => verifyPassword(password, credentials?.passwordHash ?? DUMMY_PASSWORD_HASH));
      if (!credentials || !ok) throw unauthorized('invalid login or password');
      const token = await tokens.issue({ userId: credentials.id, username: credentials.username });
      return { user: publicUser(credentials), token };
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
      const user = await store.getUser(actorOf(request).id);
      if (!user) throw unauthorized('user no longer exists');
      return publicUser(user);
    },
  );
};
