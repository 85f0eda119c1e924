/**
 * The tokens of a bucket holding `tokens` after `elapsedMs` more of refill at `ratePerSecond`,
 * up to `burst`. For holders that keep a bucket's two numbers as fields of their own instead of
 * a TokenBucket (an object less per connection).
 */
export function refilledTokens(tokens: number, elapsedMs: number, ratePerSecond: number, burst: number): number {
  return Math.min(burst, tokens + (elapsedMs * ratePerSecond) / 1000);
}

/** Seconds until a bucket holding `tokens` has one (0 when it has). */
export function secondsUntilToken(tokens: number, ratePerSecond: number): number {
  return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / ratePerSecond);
}

/**
 * A token bucket: `ratePerSecond` tokens refill continuously up to `burst`.
 * Time is passed in so that callers can share one clock read per frame.
 */
export class TokenBucket {
  #tokens: number;
  #updatedAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    now: number = Date.now(),
  ) {
    this.#tokens = burst;
    this.#updatedAt = now;
  }

  /** Takes one token if available. */
  take(now: number = Date.now()): boolean {
    const elapsed = now - this.#updatedAt;
    if (elapsed > 0) {
      this.#tokens = refilledTokens(this.#tokens, elapsed, this.ratePerSecond, this.burst);
      this.#updatedAt = now;
    }
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Seconds until one token is available (0 when one is). */
  retryAfterSeconds(): number {
    return secondsUntilToken(this.#tokens, this.ratePerSecond);
  }
}

/** Buckets keyed by user id, shared by every session of that user in this process. */
export class UserRateLimiter {
  readonly #buckets = new Map<string, { bucket: TokenBucket; refs: number }>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {}

  acquire(userId: string): TokenBucket {
    let entry = this.#buckets.get(userId);
    if (!entry) {
      entry = { bucket: new TokenBucket(this.ratePerSecond, this.burst), refs: 0 };
      this.#buckets.set(userId, entry);
    }
    entry.refs++;
    return entry.bucket;
  }

  release(userId: string): void {
    const entry = this.#buckets.get(userId);
    if (entry && --entry.refs <= 0) this.#buckets.delete(userId);
  }
}
