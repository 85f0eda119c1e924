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

/** A preHandler that charges the request to its budget, and `charge` for a key known only in a handler. */
export interface BudgetCheck {
  (request: FastifyRequest): Promise<void>;
  charge(request: FastifyRequest, key: string): Promise<void>;
}

/**
 * Charges requests to a fixed-window counter of @fastify/rate-limit (in Redis when the api has
 * REDIS_URL, so every replica shares it) and refuses with 429 and Retry-After once it is spent.
 * Unlike a route's `config.rateLimit`, one budget can cover several routes and a route can be
 * charged to several budgets. Needs @fastify/rate-limit registered on `app`.
 */
export function budget(app: FastifyInstance, options: Budget): BudgetCheck {
  const given = new WeakMap<FastifyRequest, string>();
  const limit = app.createRateLimit({ max: options.max, timeWindow: options.timeWindowMs, keyGenerator: (request) => given.get(request) ?? options.key(request) });
  const check = async (request: FastifyRequest): Promise<void> => {
    const result = await limit(request);
    if (!result.isAllowed && result.isExceeded) {
      throw rateLimited(options.message, Math.max(1, Math.ceil(result.ttl / 1000)));
    }
  };
  return Object.assign((request: FastifyRequest) => check(request), {
    charge: (request: FastifyRequest, key: string) => {
      given.set(request, key);
      return check(request);
    },
  });
}
