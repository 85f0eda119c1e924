import type { ResultRow } from './results.js';

/**
 * The order the targets run in, round by round: forwards, then backwards, and so on. A machine
 * that drifts (another tenant, a thermal limit, Postgres's checkpoints and autovacuum) over the
 * minutes of a run then weighs on every target alike, where a fixed order gives the drift to
 * whichever target runs last.
 */
export function roundOrder<T>(targets: readonly T[], round: number): T[] {
  return round % 2 === 0 ? [...targets] : [...targets].reverse();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const figures = ['deliveriesPerSec', 'p50Ms', 'p99Ms', 'cpuMsPer1kDeliveries'] as const;

/**
 * One row for a target measured in several rounds: each figure the median of its rounds (max: the
 * highest), with every round's CPU and p99 in `extra`, so the spread is there to read. The first
 * round's other fields (extra, variant) stand for all; notes are gathered without repeats.
 */
export function medianOfRounds(rounds: readonly ResultRow[]): ResultRow {
  const first = rounds[0];
  if (first === undefined) throw new Error('medianOfRounds: no rounds');
  if (rounds.length === 1) return first;
  const row: ResultRow = { ...first, extra: { ...first.extra } };
  for (const key of figures) {
    const values = rounds.map((r) => r[key]).filter((v): v is number => v !== undefined);
    if (values.length === rounds.length) row[key] = key === 'deliveriesPerSec' ? Math.round(median(values)) : median(values);
  }
  const maxes = rounds.map((r) => r.maxMs).filter((v): v is number => v !== undefined);
  if (maxes.length > 0) row.maxMs = Math.max(...maxes);
  const each = (key: 'cpuMsPer1kDeliveries' | 'p99Ms') => rounds.map((r) => r[key] ?? '–').join(' / ');
  row.extra = { ...row.extra, rounds: rounds.length, ...(first.cpuMsPer1kDeliveries === undefined ? {} : { cpuMsPer1kByRound: each('cpuMsPer1kDeliveries') }), p99MsByRound: each('p99Ms') };
  row.notes = [...new Set([...rounds.flatMap((r) => r.notes ?? []), `median of ${rounds.length} interleaved rounds (max: the highest)`])];
  return row;
}
