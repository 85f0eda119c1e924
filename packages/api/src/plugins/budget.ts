import { rateLimited } from '@chorus/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface Budget {
  /** Requests allowed per window. */
  max: number;
  timeWindowMs: number;
  /** The counter a request is charged to; routes that return the same key share one budget. */
  key: (request: FastifyRequest) => string;
  message: string;
}

/**
 * A preHandler charging each request to a fixed-window counter of @fastify/rate-limit (in Redis
 * when the api has REDIS_URL, so every replica shares it) and refusing with 429 and Retry-After
 * once it is spent. Unlike a route's `config.rateLimit`, one budget can cover several routes and a
 * route can be charged to several budgets. Needs @fastify/rate-limit registered on `app`.
 */
export function budget(app: FastifyInstance, options: Budget): (request: FastifyRequest) => Promise<void> {
  const limit = app.createRateLimit({ max: options.max, timeWindow: options.timeWindowMs, keyGenerator: options.key });
  return async (request) => {
    const result = await limit(request);
    if (!result.isAllowed && result.isExceeded) {
      throw rateLimited(options.message, Math.max(1, Math.ceil(result.ttl / 1000)));
    }
  };
}

/** Several budgets, in order; the first spent one refuses the request. */
export function budgets(...checks: ((request: FastifyRequest) => Promise<void>)[]): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    for (const check of checks) await check(request);
  };
}
