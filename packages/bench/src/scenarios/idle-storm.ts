import type { LoadConnection } from '../clients/connection.js';
import { DeliveryMeter, sleep } from '../meter.js';
import { sampleProcesses } from '../proc-stats.js';
import type { Progress } from '../progress.js';
import type { ResultRow } from '../results.js';
import { round } from '../stats.js';
import type { Target } from '../targets/target.js';

export interface IdleStormOptions {
  connections: number;
  concurrency: number;
  measureSeconds: number;
}

/**
 * Connect storm, then idle: opens N authenticated connections, each with one
 * subscription, as fast as the server accepts them (bounded attempts in flight),
 * stopping at the first failures; then leaves them idle (with protocol
 * heart-beats, as real clients) and measures memory and CPU per connection.
 */
export async function runIdleAndStorm(target: Target, options: IdleStormOptions, progress: Progress): Promise<{ storm: ResultRow; idle: ResultRow }> {
  const label = `idle/storm ${target.name}`;
  const [room] = await target.setupRooms(1, 32, (d, t) => progress.update(`${label}: setup ${d}/${t}`));
  const meter = new DeliveryMeter();
  const open: LoadConnection[] = [];
  let failures = 0;
  let firstError: string | undefined;
  try {
    await sleep(1000);
    const baseline = sampleProcesses(target.pids);
    const t0 = performance.now();
    let next = 0;
    let limit = 0;
    const worker = async () => {
      while (next < limit && failures < 10) {
        const i = next++;
        try {
          open.push(await target.connect({ replica: i % target.pids.length, room: room!, member: i, subscribe: true, heartbeat: true, onMessage: meter.onMessage }));
        } catch (err) {
          failures++;
          firstError ??= err instanceof Error ? err.message : String(err);
        }
        if (open.length % 500 === 0) progress.update(`${label}: ${open.length}/${options.connections} connected`);
      }
    };
    const openUpTo = async (n: number) => {
      limit = n;
      await Promise.all(Array.from({ length: options.concurrency }, worker));
    };
    // Memory per connection is the slope between half and all connections, so
    // start-up and setup allocations (scrypt for signups, JIT) are not counted.
    await openUpTo(Math.floor(options.connections / 2));
    const halfSeconds = (performance.now() - t0) / 1000;
    const halfCount = open.length;
    await sleep(1500);
    // Memory is sampled after a full GC in the server, so the slope counts what the
    // connections keep alive rather than whatever garbage the moment holds.
    await target.collectGarbage();
    const half = sampleProcesses(target.pids);
    const halfHeap = await target.heapUsedBytes();
    const t1 = performance.now();
    const cpu1 = sampleProcesses(target.pids).cpuSeconds;
    await openUpTo(options.connections);
    const stormSeconds = halfSeconds + (performance.now() - t1) / 1000;
    const stormCpu = half.cpuSeconds - baseline.cpuSeconds + sampleProcesses(target.pids).cpuSeconds - cpu1;
    const perSecond = open.length / stormSeconds;
    progress.log(`${label}: ${open.length} connections in ${stormSeconds.toFixed(1)} s = ${Math.round(perSecond)}/s, ${failures} failures`);

    progress.update(`${label}: settling`);
    await sleep(2000);
    await target.collectGarbage();
    const settled = sampleProcesses(target.pids);
    const heap = await target.heapUsedBytes();
    progress.update(`${label}: measuring idle CPU for ${options.measureSeconds} s`);
    const cpu0 = sampleProcesses(target.pids).cpuSeconds;
    await sleep(options.measureSeconds * 1000);
    const idleCpu = sampleProcesses(target.pids).cpuSeconds - cpu0;
    const n = Math.max(1, open.length);
    const added = Math.max(1, open.length - halfCount);
    const storm: ResultRow = {
      scenario: 'connect-storm',
      target: target.name,
      extra: {
        connectionsPerSec: Math.round(perSecond),
        connected: open.length,
        failures,
        serverCpuMsPerConnection: round((stormCpu * 1000) / n, 3),
      },
      notes: failures > 0 ? [`first failure: ${firstError}`] : [`no failure up to ${options.connections} connections (${options.concurrency} attempts in flight)`],
    };
    const idle: ResultRow = {
      scenario: 'idle',
      target: target.name,
      rssKbPerConn: round((settled.rssBytes - half.rssBytes) / 1024 / added, 1),
      heapKbPerConn: round((heap - halfHeap) / 1024 / added, 1),
      extra: {
        connections: open.length,
        idleCpuPctOfCore: round((idleCpu / options.measureSeconds) * 100, 2),
        rssMb: round(settled.rssBytes / 1024 / 1024, 1),
        rssKbPerConnIncludingStartup: round((settled.rssBytes - baseline.rssBytes) / 1024 / n, 1),
      },
      notes: [],
    };
    return { storm, idle };
  } finally {
    for (const c of open) c.close();
  }
}
