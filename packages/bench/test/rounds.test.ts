import { describe, expect, it } from 'vitest';
import type { ResultRow } from '../src/results.js';
import { medianOfRounds, roundOrder } from '../src/rounds.js';

const round = (cpu: number, p99: number, max: number, notes: string[] = []): ResultRow => ({
  scenario: 'many-rooms',
  target: 'chorus',
  variant: '2000×5',
  deliveriesPerSec: 5000 + cpu,
  p50Ms: p99 / 4,
  p99Ms: p99,
  maxMs: max,
  cpuMsPer1kDeliveries: cpu,
  extra: { connections: 10_000 },
  notes,
});

describe('many-rooms rounds', () => {
  it('runs the targets forwards, then backwards', () => {
    const targets = ['ws-ceiling', 'socket.io', 'chorus'];
    expect([0, 1, 2].map((r) => roundOrder(targets, r))).toEqual([targets, ['chorus', 'socket.io', 'ws-ceiling'], targets]);
    expect(targets).toEqual(['ws-ceiling', 'socket.io', 'chorus']); // not reversed in place
  });

  it('takes each figure as the median of the rounds, the highest max, and lists every round', () => {
    const row = medianOfRounds([round(90, 30, 40, ['a']), round(60, 12, 80, ['a', 'b']), round(70, 20, 25)]);
    expect(row).toMatchObject({ cpuMsPer1kDeliveries: 70, p99Ms: 20, p50Ms: 5, deliveriesPerSec: 5070, maxMs: 80, variant: '2000×5' });
    expect(row.extra).toEqual({ connections: 10_000, rounds: 3, cpuMsPer1kByRound: '90 / 60 / 70', p99MsByRound: '30 / 12 / 20' });
    expect(row.notes).toEqual(['a', 'b', 'median of 3 interleaved rounds (max: the highest)']);
  });

  it('averages the middle two of an even count, and leaves a single round as it is', () => {
    expect(medianOfRounds([round(60, 10, 1), round(80, 30, 1)]).cpuMsPer1kDeliveries).toBe(70);
    const one = round(60, 10, 1);
    expect(medianOfRounds([one])).toBe(one);
    expect(() => medianOfRounds([])).toThrow(/no rounds/);
  });
});
