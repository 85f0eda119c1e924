import { describe, expect, it } from 'vitest';
import { checkTargets, type TargetCheck } from '../src/report/targets-check.js';
import type { ResultRow } from '../src/results.js';

const rows: ResultRow[] = [
  { scenario: 'many-rooms', target: 'ws-ceiling', cpuMsPer1kDeliveries: 14, p99Ms: 1.1 },
  { scenario: 'many-rooms', target: 'socket.io', cpuMsPer1kDeliveries: 31, p99Ms: 6.6 },
  { scenario: 'many-rooms', target: 'chorus', cpuMsPer1kDeliveries: 35, p99Ms: 7.9 },
  { scenario: 'many-rooms', target: 'durable-floor', cpuMsPer1kDeliveries: 28, p99Ms: 5 },
  { scenario: 'connect-storm', target: 'socket.io', extra: { connectionsPerSec: 3000, failures: 0 } },
  { scenario: 'connect-storm', target: 'chorus', extra: { connectionsPerSec: 3300, failures: 2, liveRoomP99DuringStormMs: 42 } },
  { scenario: 'two-replicas', target: 'chorus', variant: '×1', deliveriesPerSec: 500_000, steps: [{ cpuMsPer1k: 10 }] },
  { scenario: 'two-replicas', target: 'chorus', variant: '×2', deliveriesPerSec: 900_000, steps: [{ cpuMsPer1k: 10.5 }] },
  { scenario: 'persistence', target: 'chorus', extra: { storedPerSec: 25_000, vsPgCeiling: 0.5, historyP99Ms: 4, noopRequestP99Ms: 1.5 } },
];

const byGoal = (checks: TargetCheck[], start: string): TargetCheck => {
  const found = checks.find((c) => c.goal.startsWith(start));
  if (!found) throw new Error(`no target starting "${start}"`);
  return found;
};

describe('checkTargets', () => {
  it('judges many rooms against both references and the storm against Socket.IO', () => {
    const checks = checkTargets(rows, { cores: 16 });
    expect(byGoal(checks, 'many rooms: CPU per delivery, Chorus ≤ 2.5 × ws-ceiling')).toMatchObject({ value: '2.50×', met: true });
    expect(byGoal(checks, 'many rooms: CPU per delivery, Chorus ≤ 1.2 × Socket.IO')).toMatchObject({ value: '1.13×', met: true });
    expect(byGoal(checks, 'many rooms: p99')).toMatchObject({ value: '7.18×', met: false });
    // The durable floor is reported beside them, not judged.
    expect(byGoal(checks, 'many rooms: CPU per delivery, durable floor ÷ ws-ceiling')).toMatchObject({ value: '2.00×', met: null });
    expect(byGoal(checks, 'many rooms: CPU per delivery, Chorus ÷ durable floor')).toMatchObject({ value: '1.25×', met: null });
    expect(byGoal(checks, 'connect storm: Chorus connections/s')).toMatchObject({ value: '1.10×', met: true });
    expect(byGoal(checks, 'connect storm: no failures')).toMatchObject({ value: '2 failures', met: false });
    expect(byGoal(checks, 'connect storm: live room p99')).toMatchObject({ value: '42.0 ms', met: null });
    expect(byGoal(checks, 'two replicas: CPU per delivery')).toMatchObject({ value: '1.05×', met: true });
  });

  it('judges the many-core targets on a many-core machine only, still showing the figure', () => {
    const big = checkTargets(rows, { cores: 16 });
    expect(byGoal(big, 'two replicas: highest rate')).toMatchObject({ value: '1.80×', met: true });
    expect(byGoal(big, 'persistence: ≥ 20,000')).toMatchObject({ met: true });
    const small = checkTargets(rows, { cores: 2 });
    expect(byGoal(small, 'two replicas: highest rate')).toEqual(expect.objectContaining({ value: '1.80× (needs ≥ 8 cores; 2 here)', met: null }));
    expect(byGoal(small, 'persistence: ≥ 20,000').met).toBeNull();
    // Targets that hold on any machine are judged on two cores as well.
    expect(byGoal(small, 'persistence: stored messages/s ≥ 0.8').met).toBe(false);
    expect(byGoal(small, 'persistence: 50-message history').met).toBe(true);
    // The no-op request's p99 is shown beside the history page's, not judged.
    expect(byGoal(small, 'persistence: p99 of a no-op request')).toMatchObject({ value: '1.50 ms', met: null });
  });

  it('says "not measured" for a scenario the run left out or that failed', () => {
    const checks = checkTargets([...rows.slice(0, 2), { scenario: 'many-rooms', target: 'chorus', error: 'boom' }], { cores: 2 });
    expect(byGoal(checks, 'many rooms: CPU per delivery, Chorus ≤ 2.5')).toMatchObject({ value: 'not measured', met: null });
    expect(byGoal(checks, 'fan-out CPU per delivery (same rate): Chorus')).toMatchObject({ value: 'not measured', met: null });
  });

  it('judges idle CPU at 100k by the slope, or by the upper bound when the no-connection baseline read higher', () => {
    const idle = (extra: Record<string, number>): ResultRow[] => [{ scenario: 'idle', target: 'chorus', rssKbPerConn: 3.5, extra: { connections: 10_000, ...extra } }];
    const goal = '100k idle connections: heart-beats + presence';
    const slope = checkTargets(idle({ idleCpuPctOfCore: 3.66, idleCpuPctOfCoreNoConnections: 1.4, idleCoresAt100kConnections: 0.226, idleCoresAt100kUpperBound: 0.366 }), { cores: 2 });
    expect(byGoal(slope, goal)).toMatchObject({ value: '0.23 cores', met: true });
    const noisy = checkTargets(idle({ idleCpuPctOfCore: 2.26, idleCpuPctOfCoreNoConnections: 2.4, idleCoresAt100kConnections: 0, idleCoresAt100kUpperBound: 0.226 }), { cores: 2 });
    expect(byGoal(noisy, goal)).toMatchObject({ value: '0.23 cores', met: true });
    expect(byGoal(noisy, goal).goal).toContain('upper bound');
    const over = checkTargets(idle({ idleCpuPctOfCore: 4, idleCpuPctOfCoreNoConnections: 5, idleCoresAt100kConnections: 0, idleCoresAt100kUpperBound: 0.4 }), { cores: 2 });
    expect(byGoal(over, goal)).toMatchObject({ value: '0.40 cores', met: false });
  });
});
