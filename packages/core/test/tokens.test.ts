import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChorusError } from '../src/errors.js';
import { TokenService } from '../src/auth/tokens.js';

const options = { secret: 's'.repeat(40), issuer: 'chorus', audience: 'chorus', ttlSeconds: 60 };

describe('TokenService', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('verifies what it issued, and again from its cache', async () => {
    const tokens = new TokenService(options);
    const token = await tokens.issue({ userId: 'u1', username: 'alice' });
    expect(await tokens.verify(token)).toEqual({ userId: 'u1', username: 'alice', generation: 0 });
    expect(await tokens.verify(token)).toEqual({ userId: 'u1', username: 'alice', generation: 0 });
  });

  it('a cached token still expires at its exp', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
    const tokens = new TokenService(options);
    const token = await tokens.issue({ userId: 'u1', username: 'alice' });
    await tokens.verify(token); // cached now
    vi.setSystemTime(new Date('2026-01-01T00:01:01Z'));
    await expect(tokens.verify(token)).rejects.toSatisfy((err: unknown) => err instanceof ChorusError && err.code === 'token_expired');
  });

  it('never caches a refusal: a token from another issuer key stays invalid', async () => {
    const other = new TokenService({ ...options, secret: 'o'.repeat(40) });
    const tokens = new TokenService(options);
    const foreign = await other.issue({ userId: 'u1', username: 'alice' });
    for (let i = 0; i < 2; i++) {
      await expect(tokens.verify(foreign)).rejects.toSatisfy((err: unknown) => err instanceof ChorusError && err.code === 'unauthorized');
    }
  });
});
