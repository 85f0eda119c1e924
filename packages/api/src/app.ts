import rateLimit from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { AccountService, AttachmentService, BoundedWork, DeviceService, DirectMessageService, ModerationService, type ChorusConfig } from '@chorus/core';
import { Redis } from 'ioredis';
import { httpServerOptions } from '@chorus/core';
import type { ApiDeps, RouteDeps } from './deps.js';
import authenticate from './plugins/authenticate.js';
import { clientErrorHandler, frameworkErrors } from './plugins/connection-errors.js';
import { requestLogSerializer } from './plugins/log-redaction.js';
import { acceptEmptyJsonBody } from './plugins/empty-json-body.js';
import errors from './plugins/errors.js';
import httpMetrics from './plugins/http-metrics.js';
import openapi from './plugins/openapi.js';
import security from './plugins/security.js';
import { API_AJV_OPTIONS, createValidatorCompiler } from './plugins/validation.js';
import webRoot from './plugins/web-root.js';
import { adminRoutes } from './routes/admin.js';
import { accountRoutes } from './routes/account.js';
import { attachmentRoutes } from './routes/attachments.js';
import { authRoutes } from './routes/auth.js';
import { deviceRoutes } from './routes/devices.js';
import { directMessageRoutes } from './routes/direct-messages.js';
import { messageRoutes } from './routes/messages.js';
import { moderationRoutes } from './routes/moderation.js';
import { muteRoutes } from './routes/mutes.js';
import { opsRoutes } from './routes/ops.js';
import { presenceRoutes } from './routes/presence.js';
import { roomRoutes } from './routes/rooms.js';
import { searchRoutes } from './routes/search.js';
import { reactionRoutes } from './routes/reactions.js';

export type { ApiDeps } from './deps.js';

export interface ApiServerOptions {
  /** Overrides TRUST_PROXY (config.trustProxy). */
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
    acceptEmptyJsonBody(api);
    api.addHook('onRoute', (route) => {
      route.bodyLimit ??= deps.config.limits.maxBodyBytes;
    });
    await api.register(rateLimit, { global: false, ...sharedRateLimitStore(api, deps) });
    await api.register(authenticate, { tokens: deps.tokens });
    const { store, ...shared } = deps;
    const routeDeps: RouteDeps = {
      ...shared,
      accounts: new AccountService(store, deps.tokens, passwordHashing(deps.config)),
      devices: new DeviceService(store),
      attachments: new AttachmentService(store),
      moderation: new ModerationService(store, deps.chat),
      directs: new DirectMessageService(store, deps.chat),
    };
    await api.register(opsRoutes, routeDeps);
    await api.register(authRoutes, routeDeps);
    await api.register(roomRoutes, routeDeps);
    await api.register(messageRoutes, routeDeps);
    await api.register(searchRoutes, routeDeps);
    await api.register(deviceRoutes, routeDeps);
    await api.register(presenceRoutes, routeDeps);
    await api.register(muteRoutes, routeDeps);
    await api.register(adminRoutes, routeDeps);
    await api.register(attachmentRoutes, routeDeps);
    await api.register(accountRoutes, routeDeps);
    await api.register(moderationRoutes, routeDeps);
    await api.register(directMessageRoutes, routeDeps);
    await api.register(reactionRoutes, routeDeps);
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
  const timeouts = httpServerOptions(deps.config);
  const app = Fastify({
    loggerInstance: deps.logger.child({}, { serializers: { req: requestLogSerializer } }),
    bodyLimit: deps.config.limits.maxBodyBytes,
    // Only the configured proxies may set X-Forwarded-For: otherwise a client picks the address its
    // rate limits are keyed on.
    trustProxy: options.trustProxy ?? (deps.config.trustProxy.length > 0 ? deps.config.trustProxy : false),
    // Slow request bodies and headers are cut off (see httpServerOptions).
    requestTimeout: timeouts.requestTimeout,
    http: { headersTimeout: timeouts.headersTimeout, connectionsCheckingInterval: timeouts.connectionsCheckingInterval },
    ajv: { customOptions: { ...API_AJV_OPTIONS } },
    frameworkErrors,
    clientErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();
  await registerApi(app as unknown as FastifyInstance, deps);
  return app as unknown as FastifyInstance;
}

/** The process's cap on password hashing, shared by signup and login (see AccountService). */
function passwordHashing(config: ChorusConfig): BoundedWork {
  const { limits } = config;
  return new BoundedWork(limits.passwordHashConcurrency, limits.passwordHashQueue, 'too many logins and sign-ups at once; try again shortly');
}
