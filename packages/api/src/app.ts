import rateLimit from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Redis } from 'ioredis';
import type { ApiDeps } from './deps.js';
import authenticate from './plugins/authenticate.js';
import { clientErrorHandler, frameworkErrors } from './plugins/connection-errors.js';
import { requestLogSerializer } from './plugins/log-redaction.js';
import errors from './plugins/errors.js';
import httpMetrics from './plugins/http-metrics.js';
import openapi from './plugins/openapi.js';
import security from './plugins/security.js';
import { API_AJV_OPTIONS, createValidatorCompiler } from './plugins/validation.js';
import webRoot from './plugins/web-root.js';
import { adminRoutes } from './routes/admin.js';
import { attachmentRoutes } from './routes/attachments.js';
import { authRoutes } from './routes/auth.js';
import { deviceRoutes } from './routes/devices.js';
import { messageRoutes } from './routes/messages.js';
import { muteRoutes } from './routes/mutes.js';
import { opsRoutes } from './routes/ops.js';
import { presenceRoutes } from './routes/presence.js';
import { roomRoutes } from './routes/rooms.js';
import { searchRoutes } from './routes/search.js';

export type { ApiDeps } from './deps.js';

/**
 * Proxies trusted to set X-Forwarded-For: in-cluster and local hops only, so
 * a client cannot pick its own IP (which keys the login rate limit).
 */
export const DEFAULT_TRUST_PROXY = ['loopback', 'linklocal', 'uniquelocal'];

export interface ApiServerOptions {
  trustProxy?: FastifyServerOptions['trustProxy'];
}

/**
 * Registers the whole REST API into a fastify instance it does not own (the
 * standalone process shares one instance with the chat-server). Installs the
 * instance's error and not-found handlers, security headers, CORS and OpenAPI;
 * routes get their own validator compiler and body limit, so they behave the
 * same whatever options the host was created with.
 */
export async function registerApi(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  await app.register(errors);
  await app.register(httpMetrics, { metrics: deps.metrics });
  await app.register(security, { config: deps.config });
  await app.register(openapi);

  await app.register(async (api) => {
    api.setValidatorCompiler(createValidatorCompiler());
    api.addHook('onRoute', (route) => {
      route.bodyLimit ??= deps.config.limits.maxBodyBytes;
    });
    await api.register(rateLimit, { global: false, ...sharedRateLimitStore(api, deps) });
    await api.register(authenticate, { tokens: deps.tokens });
    await api.register(opsRoutes, deps);
    await api.register(authRoutes, deps);
    await api.register(roomRoutes, deps);
    await api.register(messageRoutes, deps);
    await api.register(searchRoutes, deps);
    await api.register(deviceRoutes, deps);
    await api.register(presenceRoutes, deps);
    await api.register(muteRoutes, deps);
    await api.register(adminRoutes, deps);
    await api.register(attachmentRoutes, deps);
  });

  await app.register(webRoot, { webRoot: deps.webRoot });
}

/**
 * With REDIS_URL the rate limits (login attempts, HTTP sends) are counted in Redis, so they
 * hold across every api replica instead of per process. If Redis cannot answer, requests are
 * let through (the limits fail open) rather than the API failing with it.
 */
function sharedRateLimitStore(api: FastifyInstance, deps: ApiDeps): { redis: Redis; nameSpace: string; skipOnError: boolean } | Record<string, never> {
  if (!deps.config.redisUrl) return {};
  const redis = new Redis(deps.config.redisUrl, {
    connectionName: 'chorus:rate-limit',
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 1000,
  });
  redis.on('error', (err: Error) => deps.logger.debug({ err }, 'rate-limit redis connection error; limits fail open'));
  api.addHook('onClose', async () => {
    await redis.quit().catch(() => redis.disconnect());
  });
  return { redis, nameSpace: 'chorus:rate-limit:', skipOnError: true };
}

/** Creates a fastify instance for the API alone (the `api` service) and registers the API into it. */
export async function buildApiServer(deps: ApiDeps, options: ApiServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger.child({}, { serializers: { req: requestLogSerializer } }),
    bodyLimit: deps.config.limits.maxBodyBytes,
    trustProxy: options.trustProxy ?? DEFAULT_TRUST_PROXY,
    ajv: { customOptions: { ...API_AJV_OPTIONS } },
    frameworkErrors,
    clientErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();
  await registerApi(app as unknown as FastifyInstance, deps);
  return app as unknown as FastifyInstance;
}
