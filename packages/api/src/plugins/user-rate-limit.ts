import { rateLimited } from '@chorus/core';
import type { FastifyRequest } from 'fastify';
import { actorOf } from './authenticate.js';

export interface UserRateLimit {
  /** Budget name: routes that give the same one share a user's budget (reactions pay from `send`). */
  key: string;
  /** Requests per window. */
  burst: number;
  windowMs: number;
  /** The 429's message. */
  message: string;
}

/** The window in which `burst` requests refill at `perSecond` (what HTTP_SEND_* and the like configure). */
export const windowForRate = (burst: number, perSecond: number): number => Math.ceil((burst / perSecond) * 1000);

/**
 * A route's `config.rateLimit` (@fastify/rate-limit): a fixed window per user, charged after
 * authentication so the key is the user rather than the address, refused with 429 and Retry-After.
 */
export function userRateLimit(options: UserRateLimit) {
  return {
    max: options.burst,
    timeWindow: options.windowMs,
    hook: 'preHandler' as const,
    keyGenerator: (request: FastifyRequest) => `${options.key}|${actorOf(request).id}`,
    errorResponseBuilder: (_request: FastifyRequest, context: { ttl: number }) => rateLimited(options.message, Math.max(1, Math.ceil(context.ttl / 1000))),
  };
}

/**
 * The REST send budget, like a STOMP connection's SEND budget, so REST is no way around it:
 * HTTP_SEND_BURST per window of burst/rate seconds. Sends, edits, deletes and reactions share it.
 */
export const sendRateLimitFor = (limits: { httpSendBurst: number; httpSendRatePerSecond: number }) =>
  userRateLimit({ key: 'send', burst: limits.httpSendBurst, windowMs: windowForRate(limits.httpSendBurst, limits.httpSendRatePerSecond), message: 'sending too fast; slow down' });
