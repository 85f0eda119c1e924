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

export interface TargetContext {
  /** Cores of the machine the run was made on: some targets only mean something on a many-core host. */
  cores: number;
}

interface Shown {
  /** After the number (default ×, for ratios). */
  unit?: string;
  /** Decimals (default 2). */
  digits?: number;
}

function show(value: number | undefined, { unit = '×', digits = 2 }: Shown): string {
  if (value === undefined) return 'not measured';
  return `${value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}${unit}`;
}

/** Targets about headroom (rates two replicas reach, stored messages/s) need a machine the servers do not fill. */
export const MANY_CORES = 8;

/**
 * Issue 15's targets, as ratios within this run. `met` is null where the run did not measure the
 * figure, and for a many-core target on a smaller machine (its value is still shown).
 */
export function checkTargets(rows: ResultRow[], context: TargetContext): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const manyCore = context.cores >= MANY_CORES;
  const add = (goal: string, value: number | undefined, met: (v: number) => boolean, how: Shown & { manyCores?: boolean } = {}) => {
    const shown = show(value, how);
    if (how.manyCores && !manyCore) {
      checks.push({ goal, value: `${shown} (needs ≥ ${MANY_CORES} cores; ${context.cores} here)`, met: null });
      return;
    }
    checks.push({ goal, value: shown, met: value === undefined ? null : met(value) });
  };
  /** A figure reported, not judged. */
  const report = (goal: string, value: number | undefined, how: Shown = {}) => checks.push({ goal, value: show(value, how), met: null });

  const p = find(rows, 'persistence', 'chorus');
  add('persistence: stored messages/s ≥ 0.8 × the pg-ceiling reference', p?.extra?.vsPgCeiling as number | undefined, (v) => v >= 0.8);
  add('persistence: ≥ 20,000 stored messages/s with receipts (2 × the 16-core figure of 2026-12-04)', p?.extra?.storedPerSec as number | undefined, (v) => v >= 20_000, { unit: ' msg/s', digits: 0, manyCores: true });
  add('persistence: 50-message history page p99 ≤ 5 ms on a 1M-message room', p?.extra?.historyP99Ms as number | undefined, (v) => v <= 5, { unit: ' ms' });
  report('persistence: p99 of a no-op request (GET /healthz) by the same client, one after each history page', p?.extra?.noopRequestP99Ms as number | undefined, { unit: ' ms' });

  const mc = find(rows, 'many-rooms', 'chorus');
  const mw = find(rows, 'many-rooms', 'ws-ceiling');
  const ms = find(rows, 'many-rooms', 'socket.io');
  add('many rooms: CPU per delivery, Chorus ≤ 2.5 × ws-ceiling', ratio(mc?.cpuMsPer1kDeliveries, mw?.cpuMsPer1kDeliveries), (v) => v <= 2.5);
  add('many rooms: CPU per delivery, Chorus ≤ 1.2 × Socket.IO', ratio(mc?.cpuMsPer1kDeliveries, ms?.cpuMsPer1kDeliveries), (v) => v <= 1.2);
  add('many rooms: p99, Chorus ≤ 3 × ws-ceiling', ratio(mc?.p99Ms, mw?.p99Ms), (v) => v <= 3);
  // The durable floor stores and publishes each message with nothing else (servers/durable-floor-server.mjs).
  const mf = find(rows, 'many-rooms', 'durable-floor');
  report('many rooms: CPU per delivery, durable floor ÷ ws-ceiling (what storing and publishing each message costs at least)', ratio(mf?.cpuMsPer1kDeliveries, mw?.cpuMsPer1kDeliveries));
  report('many rooms: CPU per delivery, Chorus ÷ durable floor', ratio(mc?.cpuMsPer1kDeliveries, mf?.cpuMsPer1kDeliveries));

  const sc = find(rows, 'connect-storm', 'chorus');
  const ss = find(rows, 'connect-storm', 'socket.io');
  add('connect storm: Chorus connections/s ≥ 1.0 × Socket.IO', ratio(sc?.extra?.connectionsPerSec as number | undefined, ss?.extra?.connectionsPerSec as number | undefined), (v) => v >= 1);
  add('connect storm: no failures (Chorus)', sc?.extra?.failures as number | undefined, (v) => v === 0, { unit: ' failures', digits: 0 });
  report('connect storm: live room p99 during the storm (Chorus)', sc?.extra?.liveRoomP99DuringStormMs as number | undefined, { unit: ' ms', digits: 1 });

  const fc = find(rows, 'fanout', 'chorus');
  const fw = find(rows, 'fanout', 'ws-ceiling');
  const fs = find(rows, 'fanout', 'socket.io');
  // CPU per delivery is compared at the same offered rate: the first ramp step, which every target runs.
  add('fan-out CPU per delivery (same rate): Chorus ≤ 1.2 × ws-ceiling', ratio(firstStepCpu(fc), firstStepCpu(fw)), (v) => v <= 1.2);
  add('fan-out CPU per delivery (same rate): Socket.IO vs ws-ceiling (reference ≈ 1.35–1.6)', ratio(firstStepCpu(fs), firstStepCpu(fw)), () => true);
  add('fan-out max rate at p99 ≤ 100 ms: Chorus ≥ 1.5 × Socket.IO', ratio(fc?.deliveriesPerSec, fs?.deliveriesPerSec), (v) => v >= 1.5);
  add('fan-out max rate at p99 ≤ 100 ms: Chorus ≥ 0.8 × ws-ceiling', ratio(fc?.deliveriesPerSec, fw?.deliveriesPerSec), (v) => v >= 0.8);

  const r1 = find(rows, 'two-replicas', 'chorus', '×1');
  const r2 = find(rows, 'two-replicas', 'chorus', '×2');
  add('two replicas: CPU per delivery (same rate) ≤ 1.1 × one replica', ratio(firstStepCpu(r2), firstStepCpu(r1)), (v) => v <= 1.1);
  add('two replicas: highest rate ≥ 1.7 × one replica', ratio(r2?.deliveriesPerSec, r1?.deliveriesPerSec), (v) => v >= 1.7, { manyCores: true });

  const ic = find(rows, 'idle', 'chorus');
  const iw = find(rows, 'idle', 'ws-ceiling');
  const is = find(rows, 'idle', 'socket.io');
  add('idle memory per connection: Chorus ≤ 1.2 × ws-ceiling', ratio(ic?.rssKbPerConn, iw?.rssKbPerConn), (v) => v <= 1.2);
  add('idle memory per connection: Chorus ≤ 0.6 × Socket.IO', ratio(ic?.rssKbPerConn, is?.rssKbPerConn), (v) => v <= 0.6);
  const idleConnections = ic?.extra?.connections as number | undefined;
  const at = idleConnections !== undefined && idleConnections < 100_000 ? `measured at ${idleConnections.toLocaleString('en-US')}` : 'measured';
  add(`100k idle connections: ≤ 5 KB RSS each (${at})`, ic?.rssKbPerConn, (v) => v <= 5, { unit: ' KB', digits: 1 });
  // The slope over the no-connection baseline, unless the baseline read at least as high as the idle
  // window (the slope is then noise, not zero): all the idle CPU counted as the connections' instead.
  const slope = ic?.extra?.idleCoresAt100kConnections as number | undefined;
  const upperBound = ic?.extra?.idleCoresAt100kUpperBound as number | undefined;
  const baseline = ic?.extra?.idleCpuPctOfCoreNoConnections as number | undefined;
  const idleWindow = ic?.extra?.idleCpuPctOfCore as number | undefined;
  const useBound = upperBound !== undefined && baseline !== undefined && idleWindow !== undefined && baseline >= idleWindow;
  add(
    `100k idle connections: heart-beats + presence ≤ 0.3 core (${idleConnections !== undefined && idleConnections < 100_000 ? `projected from ${idleConnections.toLocaleString('en-US')}` : 'measured'}${useBound ? '; upper bound: the no-connection baseline read higher than the idle window' : ''})`,
    useBound ? upperBound : slope,
    (v) => v <= 0.3,
    { unit: ' cores' },
  );
  const off = find(rows, 'compression', 'chorus', 'off');
  const on = find(rows, 'compression', 'chorus', 'on');
  report('compression on: RSS per connection after traffic (off in the same run)', on?.rssKbPerConn, { unit: off?.rssKbPerConn === undefined ? ' KB' : ` KB (off: ${off.rssKbPerConn} KB)`, digits: 1 });
  return checks;
}

export function targetsMarkdown(checks: TargetCheck[]): string {
  return [
    '| target | this run | met |',
    '|---|--:|:-:|',
    ...checks.map((c) => `| ${c.goal} | ${c.value} | ${c.met === null ? '–' : c.met ? 'yes' : 'NO'} |`),
  ].join('\n');
}
