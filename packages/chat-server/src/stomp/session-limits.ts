import { ChorusError } from '@chorus/core';
import { TokenBucket } from '../util/token-bucket.js';
import type { SessionContext } from './session-context.js';

/**
 * A connected session's rate limits: SEND, SUBSCRIBE and typing, each per session and/or
 * per user (the user's buckets are shared by all of its sessions in this process).
 */
export class SessionLimits {
  /** Created on the first SEND: most connections only listen. */
  #sendBucket: TokenBucket | null = null;
  readonly #userSendBucket: TokenBucket;
  readonly #subscribeBucket: TokenBucket;
  readonly #userSubscribeBucket: TokenBucket;
  readonly #typingBucket: TokenBucket;

  constructor(
    private readonly ctx: SessionContext,
    private readonly userId: string,
  ) {
    const { limits } = ctx.config;
    this.#subscribeBucket = new TokenBucket(limits.subscribeRatePerSecond, limits.subscribeBurst);
    this.#userSendBucket = ctx.sendLimiter.acquire(userId);
    this.#typingBucket = ctx.typingLimiter.acquire(userId);
    this.#userSubscribeBucket = ctx.subscribeLimiter.acquire(userId);
  }

  get #ownSendBucket(): TokenBucket {
    const { limits } = this.ctx.config;
    return (this.#sendBucket ??= new TokenBucket(limits.sendRatePerSecond, limits.sendBurst));
  }

  /** Takes a SEND token, or throws rate_limited. */
  takeSend(): void {
    takeOrThrow('sending too fast; slow down', this.#ownSendBucket, this.#userSendBucket);
  }

  /** Takes a SEND token if there is one (for a pipelined SEND, which falls back to the ordinary path). */
  trySend(now: number): boolean {
    return this.#ownSendBucket.take(now) && this.#userSendBucket.take(now);
  }

  takeSubscribe(): void {
    takeOrThrow('subscribing too fast; slow down', this.#subscribeBucket, this.#userSubscribeBucket);
  }

  takeTyping(): void {
    takeOrThrow('typing indicators too fast; send at most one per second', this.#typingBucket);
  }

  /** Gives the user's shared buckets back (the session closed). */
  release(): void {
    this.ctx.sendLimiter.release(this.userId);
    this.ctx.typingLimiter.release(this.userId);
    this.ctx.subscribeLimiter.release(this.userId);
  }
}

/** Takes one token from each bucket in turn; at the first empty one, throws with the longest wait of them all. */
function takeOrThrow(message: string, ...buckets: TokenBucket[]): void {
  const now = Date.now();
  if (buckets.every((bucket) => bucket.take(now))) return;
  throw new ChorusError('rate_limited', message, {
    retryAfter: Math.max(...buckets.map((bucket) => bucket.retryAfterSeconds()), 1),
  });
}
