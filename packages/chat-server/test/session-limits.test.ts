import { isChorusError, loadConfig } from '@chorus/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SessionContext } from '../src/stomp/session-context.js';
import { SessionLimits } from '../src/stomp/session-limits.js';
import { UserRateLimiter } from '../src/util/token-bucket.js';

/** What SessionLimits uses of a session context: the config and the per-user limiters, as the gateway builds them. */
function limitsContext(env: Record<string, string>, userSubscribeBurst?: number): SessionContext {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env });
  const { limits } = config;
  const context: Pick<SessionContext, 'config' | 'sendLimiter' | 'typingLimiter' | 'subscribeLimiter'> = {
    config,
    sendLimiter: new UserRateLimiter(limits.sendRatePerSecond, limits.sendBurst),
    typingLimiter: new UserRateLimiter(limits.typingRatePerSecond, limits.typingBurst),
    subscribeLimiter: new UserRateLimiter(limits.subscribeRatePerSecond, userSubscribeBurst ?? limits.subscribeBurst),
  };
  return context as SessionContext;
}

/** The retryAfter of the rate_limited error `take` throws, or undefined when it took a token. */
function refusal(take: () => void): number | undefined {
  try {
    take();
    return undefined;
  } catch (err) {
    if (!isChorusError(err) || err.code !== 'rate_limited') throw err;
    return err.retryAfter;
  }
}

describe('SessionLimits', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a session's SUBSCRIBE tokens run out at the burst, refill at the rate and never past the burst", () => {
    // The user's bucket is made roomy so that only the session's own one limits here.
    const limits = new SessionLimits(limitsContext({ SUBSCRIBE_RATE_PER_SECOND: '2', SUBSCRIBE_BURST: '3' }, 1000), 'u1');
    for (let i = 0; i < 3; i++) expect(refusal(() => limits.takeSubscribe())).toBeUndefined();
    expect(refusal(() => limits.takeSubscribe())).toBe(1);
    vi.advanceTimersByTime(499);
    expect(refusal(() => limits.takeSubscribe())).toBe(1);
    vi.advanceTimersByTime(1);
    expect(refusal(() => limits.takeSubscribe())).toBeUndefined();
    expect(refusal(() => limits.takeSubscribe())).toBe(1);
    vi.advanceTimersByTime(60_000);
    for (let i = 0; i < 3; i++) expect(refusal(() => limits.takeSubscribe())).toBeUndefined();
    expect(refusal(() => limits.takeSubscribe())).toBe(1);
  });

  it("a user's sessions share the user's SUBSCRIBE bucket, until they are released", () => {
    const ctx = limitsContext({ SUBSCRIBE_RATE_PER_SECOND: '1', SUBSCRIBE_BURST: '4' });
    const a = new SessionLimits(ctx, 'u1');
    const b = new SessionLimits(ctx, 'u1');
    const other = new SessionLimits(ctx, 'u2');
    for (let i = 0; i < 3; i++) expect(refusal(() => a.takeSubscribe())).toBeUndefined();
    expect(refusal(() => b.takeSubscribe())).toBeUndefined();
    // b has tokens of its own left, but its user has none.
    expect(refusal(() => b.takeSubscribe())).toBe(1);
    expect(refusal(() => other.takeSubscribe())).toBeUndefined();
    a.release();
    b.release();
    const fresh = new SessionLimits(ctx, 'u1');
    for (let i = 0; i < 4; i++) expect(refusal(() => fresh.takeSubscribe())).toBeUndefined();
    expect(refusal(() => fresh.takeSubscribe())).toBe(1);
  });

  it('SEND and typing keep their own buckets', () => {
    const ctx = limitsContext({ SEND_RATE_PER_SECOND: '1', SEND_BURST: '2', TYPING_RATE_PER_SECOND: '1', TYPING_BURST: '1', SUBSCRIBE_BURST: '1' });
    const limits = new SessionLimits(ctx, 'u1');
    expect(refusal(() => limits.takeSubscribe())).toBeUndefined();
    expect(refusal(() => limits.takeSubscribe())).toBe(1);
    expect(refusal(() => limits.takeSend())).toBeUndefined();
    expect(limits.trySend(Date.now())).toBe(true);
    expect(limits.trySend(Date.now())).toBe(false);
    expect(refusal(() => limits.takeSend())).toBe(1);
    expect(refusal(() => limits.takeTyping())).toBeUndefined();
    expect(refusal(() => limits.takeTyping())).toBe(1);
  });
});
