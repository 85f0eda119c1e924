import { ChorusError } from '@chorus/core';
import { refilledTokens, secondsUntilToken, TokenBucket } from '../util/token-bucket.js';
import type { SessionContext } from './session-context.js';

/**
 * A connected session's rate limits: SEND, SUBSCRIBE and typing, each per session and/or
 * per user (the user's buckets are shared by all of its sessions in this process).
 */
export class SessionLimits {
  /** Created on the first SEND: most connections only listen. */
  #sendBucket: TokenBucket | null = null;
  readonly #userSendBucket: TokenBucket;
  /**
   * The session's own SUBSCRIBE bucket, kept as its two numbers rather than a TokenBucket:
   * every connection subscribes, and an idle server holds one per connection.
   */
  #subscribeTokens: number;
  #subscribeRefilledAt: number;
  readonly #userSubscribeBucket: TokenBucket;
  readonly #typingBucket: TokenBucket;

  constructor(
    private readonly ctx: SessionContext,
    private readonly userId: string,
  ) {
    this.#subscribeTokens = ctx.config.limits.subscribeBurst;
    this.#subscribeRefilledAt = Date.now();
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

  /** Takes a SUBSCRIBE token (the session's, then the user's), or throws rate_limited. */
  takeSubscribe(): void {
    const now = Date.now();
    if (this.#takeOwnSubscribe(now) && this.#userSubscribeBucket.take(now)) return;
    const ownWait = secondsUntilToken(this.#subscribeTokens, this.ctx.config.limits.subscribeRatePerSecond);
    throw rateLimited('subscribing too fast; slow down', [ownWait, this.#userSubscribeBucket.retryAfterSeconds()]);
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

  /** TokenBucket.take, on the session's own SUBSCRIBE numbers. */
  #takeOwnSubscribe(now: number): boolean {
    const { subscribeRatePerSecond, subscribeBurst } = this.ctx.config.limits;
    const elapsed = now - this.#subscribeRefilledAt;
    if (elapsed > 0) {
      this.#subscribeTokens = refilledTokens(this.#subscribeTokens, elapsed, subscribeRatePerSecond, subscribeBurst);
      this.#subscribeRefilledAt = now;
    }
    if (this.#subscribeTokens < 1) return false;
    this.#subscribeTokens -= 1;
    return true;
  }
}

/** Takes one token from each bucket in turn; at the first empty one, throws with the longest wait of them all. */
function takeOrThrow(message: string, ...buckets: TokenBucket[]): void {
  const now = Date.now();
  if (buckets.every((bucket) => bucket.take(now))) return;
  throw rateLimited(message, buckets.map((bucket) => bucket.retryAfterSeconds()));
}

/** rate_limited, to retry after the longest of `waits` (seconds, at least 1). */
function rateLimited(message: string, waits: number[]): ChorusError {
  return new ChorusError('rate_limited', message, { retryAfter: Math.max(...waits, 1) });
}
