import { describe, expect, it } from 'vitest';
import { Backoff } from '../src/client/realtime/backoff.js';

describe('Backoff', () => {
  it('doubles up to the cap, with jitter between half and all of each step', () => {
    const low = new Backoff({ initialMs: 1000, maxMs: 8000, random: () => 0 });
    expect([1, 2, 3, 4, 5, 6].map(() => low.next())).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
    const high = new Backoff({ initialMs: 1000, maxMs: 8000, random: () => 0.999999 });
    expect([1, 2, 3, 4, 5].map(() => high.next())).toEqual([1000, 2000, 4000, 8000, 8000]);
  });

  it('starts over after a reset', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 10_000, random: () => 0.5 });
    b.next();
    b.next();
    b.next();
    expect(b.attempt).toBe(3);
    b.reset();
    expect(b.attempt).toBe(0);
    expect(b.next()).toBe(75);
  });

  it('never overflows after very many attempts', () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 30_000, random: () => 0.5 });
    let last = 0;
    for (let i = 0; i < 2000; i++) last = b.next();
    expect(last).toBe(22_500);
  });

  it('rejects nonsense settings', () => {
    expect(() => new Backoff({ initialMs: 0, maxMs: 10 })).toThrow(RangeError);
    expect(() => new Backoff({ initialMs: 100, maxMs: 10 })).toThrow(RangeError);
  });
});
