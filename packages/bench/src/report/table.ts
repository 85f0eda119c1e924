import type { ResultRow } from '../results.js';

/** The first ramp step (same offered rate for every target), for the fan-out rows. */
function firstStep(row: ResultRow): Record<string, number> {
  const first = (row.steps as { deliveriesPerSec: number; cpuMsPer1k: number; p99Ms: number }[] | undefined)?.[0];
  return first ? { firstStepDeliveriesPerSec: first.deliveriesPerSec, firstStepCpuMsPer1k: first.cpuMsPer1k, firstStepP99Ms: first.p99Ms } : {};
}

const fmt = (n: number | undefined, digits = 0): string =>
  n === undefined ? '' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const extraText = (row: ResultRow): string =>
  Object.entries({ ...(row.extra ?? {}), ...firstStep(row) })
    .map(([k, v]) => `${k}=${typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 3 }) : v}`)
    .join(', ');

/** The results as a markdown table (also readable in a terminal). */
export function markdownTable(rows: ResultRow[]): string {
  const header = '| scenario | server | deliveries/s | p50 ms | p99 ms | max ms | CPU ms / 1k deliveries | RSS KB/conn | heap KB/conn | other | notes |';
  const sep = '|---|---|--:|--:|--:|--:|--:|--:|--:|---|---|';
  const lines = rows.map((r) =>
    [
      r.scenario,
      r.target + (r.variant ? ` (${r.variant})` : ''),
      fmt(r.deliveriesPerSec),
      fmt(r.p50Ms, 1),
      fmt(r.p99Ms, 1),
      fmt(r.maxMs, 1),
      fmt(r.cpuMsPer1kDeliveries, 2),
      fmt(r.rssKbPerConn, 1),
      fmt(r.heapKbPerConn, 1),
      extraText(r),
      [...(r.error ? [`ERROR: ${r.error}`] : []), ...(r.notes ?? [])].join('; '),
    ]
      .map((c) => String(c).replace(/\|/g, '\\|'))
      .join(' | '),
  );
  return [header, sep, ...lines.map((l) => `| ${l} |`)].join('\n');
}
