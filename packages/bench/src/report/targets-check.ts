import type { ResultRow } from '../results.js';

export interface TargetCheck {
  goal: string;
  value: string;
  met: boolean | null;
}

const find = (rows: ResultRow[], scenario: string, target: string, variant?: string) =>
  rows.find((r) => r.scenario === scenario && r.target === target && (variant === undefined || r.variant === variant) && !r.error);

/** ms of server CPU per 1,000 deliveries at the first ramp step (the same offered rate for every target). */
export function firstStepCpu(row: ResultRow | undefined): number | undefined {
  const first = (row?.steps as { cpuMsPer1k?: number }[] | undefined)?.[0];
  return first?.cpuMsPer1k ?? undefined;
}

const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);

/** The issue's targets, as ratios within this run. null = not measured in this run. */
export function checkTargets(rows: ResultRow[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const add = (goal: string, value: number | undefined, met: (v: number) => boolean, unit = '×') =>
    checks.push({ goal, value: value === undefined ? 'not measured' : `${value.toFixed(2)}${unit}`, met: value === undefined ? null : met(value) });
  const fc = find(rows, 'fanout', 'chorus');
  const fw = find(rows, 'fanout', 'ws-ceiling');
  const fs = find(rows, 'fanout', 'socket.io');
  // CPU per delivery is compared at the same offered rate: the first ramp step, which every target runs.
  add('fan-out CPU per delivery (same rate): Chorus ≤ 1.2 × ws-ceiling', ratio(firstStepCpu(fc), firstStepCpu(fw)), (v) => v <= 1.2);
  add('fan-out CPU per delivery (same rate): Socket.IO vs ws-ceiling (reference ≈ 1.35–1.6)', ratio(firstStepCpu(fs), firstStepCpu(fw)), () => true);
  add('fan-out max rate at p99 ≤ 100 ms: Chorus ≥ 1.5 × Socket.IO', ratio(fc?.deliveriesPerSec, fs?.deliveriesPerSec), (v) => v >= 1.5);
  add('fan-out max rate at p99 ≤ 100 ms: Chorus ≥ 0.8 × ws-ceiling', ratio(fc?.deliveriesPerSec, fw?.deliveriesPerSec), (v) => v >= 0.8);
  const ic = find(rows, 'idle', 'chorus');
  const iw = find(rows, 'idle', 'ws-ceiling');
  const is = find(rows, 'idle', 'socket.io');
  add('idle memory per connection: Chorus ≤ 1.2 × ws-ceiling', ratio(ic?.rssKbPerConn, iw?.rssKbPerConn), (v) => v <= 1.2);
  add('idle memory per connection: Chorus ≤ 0.6 × Socket.IO', ratio(ic?.rssKbPerConn, is?.rssKbPerConn), (v) => v <= 0.6);
  const idleConnections = ic?.extra?.connections as number | undefined;
  add(
    `100k idle connections: heart-beats + presence ≤ 0.3 core (${idleConnections !== undefined && idleConnections < 100_000 ? `projected from ${idleConnections.toLocaleString('en-US')}` : 'measured'})`,
    ic?.extra?.idleCoresAt100kConnections as number | undefined,
    (v) => v <= 0.3,
    ' cores',
  );
  const r1 = find(rows, 'two-replicas', 'chorus', '×1');
  const r2 = find(rows, 'two-replicas', 'chorus', '×2');
  add('two replicas: Chorus ≥ 1.5 × its single replica', ratio(r2?.deliveriesPerSec, r1?.deliveriesPerSec), (v) => v >= 1.5);
  const p = find(rows, 'persistence', 'chorus');
  const stored = p?.extra?.storedPerSec as number | undefined;
  add('persistence: ≥ 20,000 stored messages/s with receipts (Postgres)', stored, (v) => v >= 20_000, ' msg/s');
  add('persistence: stored messages/s ≥ 0.8 × the pg-ceiling reference', p?.extra?.vsPgCeiling as number | undefined, (v) => v >= 0.8);
  const hist = p?.extra?.historyP99Ms as number | undefined;
  add('persistence: 50-message history page p99 ≤ 5 ms on a 1M-message room', hist, (v) => v <= 5, ' ms');
  return checks;
}

export function targetsMarkdown(checks: TargetCheck[]): string {
  return [
    '| target | this run | met |',
    '|---|--:|:-:|',
    ...checks.map((c) => `| ${c.goal} | ${c.value} | ${c.met === null ? '–' : c.met ? 'yes' : 'NO'} |`),
  ].join('\n');
}
