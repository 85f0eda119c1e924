import type { LoadConnection } from '../clients/connection.js';
import { LoadPool } from '../load/pool.js';
import { DeliveryMeter, sleep, waitFor, WindowMeter } from '../meter.js';
import { sampleProcesses } from '../proc-stats.js';
import type { Progress } from '../progress.js';
import { RatePublisher } from '../publisher.js';
import type { ResultRow } from '../results.js';
import { percentileOf, round } from '../stats.js';
import type { Target } from '../targets/target.js';

export interface IdleStormOptions {
  connections: number;
  concurrency: number;
  /** Idle CPU window; at least two heart-beat intervals, or the beats in it are a matter of luck. */
  idleSeconds: number;
  /** The live room's window. */
  measureSeconds: number;
  /** Threads the idle connections are spread over (0: this thread). */
  loadWorkers: number;
  /** Source addresses the connections are spread over (127.0.0.1 … 127.0.0.n), past ~28k ephemeral ports per address. */
  localAddresses: string[];
  /** Live room measured while the others idle: members, messages/s. */
  liveMembers: number;
  liveRate: number;
}

const MAX_FAILURES = 10;
/** Seconds of idle CPU measured before any connection is opened (at most --idle-seconds). */
const BASELINE_SECONDS = 10;

/**
 * Connect storm, then idle: opens N authenticated connections, each with one
 * subscription, as fast as the server accepts them (bounded attempts in flight,
 * spread over the load threads and source addresses), stopping at the first
 * failures; then leaves them idle (with protocol heart-beats, as real clients)
 * and measures memory and CPU per connection, and then the latency of a live
 * room next to them.
 */
export async function runIdleAndStorm(target: Target, options: IdleStormOptions, progress: Progress): Promise<{ storm: ResultRow; idle: ResultRow }> {
  const label = `idle/storm ${target.name}`;
  const [room, liveRoom] = await target.setupRooms(2, Math.max(32, options.liveMembers + 1), (d, t) => progress.update(`${label}: setup ${d}/${t}`));
  const meter = new DeliveryMeter();
  const pool = await LoadPool.start(options.loadWorkers, meter);
  const live: LoadConnection[] = [];
  let failures = 0;
  let firstError: string | undefined;
  let connected = 0;
  const connectMs: number[] = [];
  try {
    await sleep(1000);
    // The servers' own idle CPU with nothing connected (timers, pollers, their GC), so that what the
    // connections cost can be told apart from it. Unknown for a deployment reached by URL.
    let quietCpu: number | undefined;
    if (target.pids.length > 0) {
      const seconds = Math.min(BASELINE_SECONDS, options.idleSeconds);
      progress.update(`${label}: idle CPU with no connection (${seconds} s)`);
      const quiet0 = sampleProcesses(target.pids).cpuSeconds;
      await sleep(seconds * 1000);
      quietCpu = (sampleProcesses(target.pids).cpuSeconds - quiet0) / seconds;
    }
    const baseline = sampleProcesses(target.pids);
    const specs = Array.from({ length: options.connections }, (_, i) =>
      target.spec({ replica: i % target.replicas, room: room!, member: i, subscribe: true, heartbeat: true }),
    );
    const addresses = options.localAddresses;
    const openRange = async (from: number, to: number) => {
      if (failures >= MAX_FAILURES || to <= from) return;
      // Address by global index, so each half spreads evenly too.
      const slice = specs.slice(from, to);
      const offset = addresses.length > 0 ? from % addresses.length : 0;
      const rotated = addresses.length > 0 ? [...addresses.slice(offset), ...addresses.slice(0, offset)] : [];
      const r = await pool.open(slice, { concurrency: options.concurrency, localAddresses: rotated, maxFailures: MAX_FAILURES - failures });
      connected += r.opened;
      for (const ms of r.connectMs) connectMs.push(ms);
      failures += r.failures;
      firstError ??= r.firstError;
      progress.update(`${label}: ${connected}/${options.connections} connected`);
    };
    const t0 = performance.now();
    // Memory per connection is the slope between half and all connections, so
    // start-up and setup allocations (scrypt for signups, JIT) are not counted.
    const halfway = Math.floor(options.connections / 2);
    await openRange(0, halfway);
    const halfSeconds = (performance.now() - t0) / 1000;
    const halfCount = connected;
    await sleep(1500);
    // Memory is sampled after a full GC in the server, so the slope counts what the
    // connections keep alive rather than whatever garbage the moment holds.
    await target.collectGarbage();
    const half = sampleProcesses(target.pids);
    const halfHeap = await target.heapUsedBytes();

    // A live room runs through the second half of the storm: a reconnect storm (a replica lost,
    // its clients coming back) must not stall the deliveries of those already connected.
    const liveMeter = new DeliveryMeter();
    for (let i = 0; i < options.liveMembers; i++) {
      live.push(await target.connect({ replica: i % target.replicas, room: liveRoom!, member: i, subscribe: true, onMessage: liveMeter.onMessage }));
    }
    const sender = await target.connect({ replica: 0, room: liveRoom!, member: options.liveMembers, subscribe: false });
    live.push(sender);
    const publisher = new RatePublisher([sender], 100);
    publisher.start(options.liveRate);
    await sleep(500);

    const stormWindow = new WindowMeter([], liveMeter);
    stormWindow.start();
    const t1 = performance.now();
    const cpu1 = sampleProcesses(target.pids).cpuSeconds;
    await openRange(halfway, options.connections);
    const stormSeconds = halfSeconds + (performance.now() - t1) / 1000;
    const duringStorm = stormWindow.stop();
    publisher.stop();
    const stormCpu = half.cpuSeconds - baseline.cpuSeconds + sampleProcesses(target.pids).cpuSeconds - cpu1;
    const perSecond = connected / stormSeconds;
    progress.log(`${label}: ${connected} connections in ${stormSeconds.toFixed(1)} s = ${Math.round(perSecond)}/s over ${Math.max(1, addresses.length)} source address(es), ${failures} failures`);

    progress.update(`${label}: settling`);
    await sleep(2000);
    await target.collectGarbage();
    const settled = sampleProcesses(target.pids);
    const heap = await target.heapUsedBytes();
    progress.update(`${label}: measuring idle CPU for ${options.idleSeconds} s`);
    const cpu0 = sampleProcesses(target.pids).cpuSeconds;
    await sleep(options.idleSeconds * 1000);
    const idleCpu = sampleProcesses(target.pids).cpuSeconds - cpu0;

    // The live room again while the others idle (its traffic is kept out of the idle CPU above).
    progress.update(`${label}: live room (${options.liveMembers} members, ${options.liveRate} msg/s) next to ${connected} idle connections`);
    const liveWindow = new WindowMeter([], liveMeter);
    publisher.start(options.liveRate);
    await sleep(500);
    liveWindow.start();
    await sleep(options.measureSeconds * 1000);
    const lw = liveWindow.stop();
    publisher.stop();
    await waitFor(() => liveMeter.received >= publisher.sent * options.liveMembers, 5000);

    const n = Math.max(1, connected);
    const added = Math.max(1, connected - halfCount);
    const storm: ResultRow = {
      scenario: 'connect-storm',
      target: target.name,
      extra: {
        connectionsPerSec: Math.round(perSecond),
        connected,
        failures,
        connectSeconds: round(stormSeconds, 1),
        connectP50Ms: round(percentileOf(connectMs, 0.5)),
        connectP99Ms: round(percentileOf(connectMs, 0.99)),
        serverCpuMsPerConnection: round((stormCpu * 1000) / n, 3),
        liveRoomP99DuringStormMs: duringStorm.latency.p99,
        liveRoomMaxDuringStormMs: duringStorm.latency.max,
        sourceAddresses: Math.max(1, addresses.length),
        loadWorkers: options.loadWorkers,
      },
      notes: [
        failures > 0 ? `first failure: ${firstError}` : `no failure up to ${options.connections} connections (${options.concurrency} attempts in flight)`,
        `liveRoom*DuringStorm: a room of ${options.liveMembers} members at ${options.liveRate} msg/s while the second half connected`,
      ],
    };
    const idle: ResultRow = {
      scenario: 'idle',
      target: target.name,
      rssKbPerConn: round((settled.rssBytes - half.rssBytes) / 1024 / added, 1),
      heapKbPerConn: round((heap - halfHeap) / 1024 / added, 1),
      p50Ms: lw.latency.p50,
      p99Ms: lw.latency.p99,
      maxMs: lw.latency.max,
      extra: {
        connections: connected,
        idleCpuPctOfCore: round((idleCpu / options.idleSeconds) * 100, 2),
        ...(quietCpu === undefined ? {} : perConnectionIdleCpu(idleCpu / options.idleSeconds, quietCpu, n)),
        rssMb: round(settled.rssBytes / 1024 / 1024, 1),
        rssKbPerConnIncludingStartup: round((settled.rssBytes - baseline.rssBytes) / 1024 / n, 1),
        liveRoomDeliveries: lw.deliveries,
      },
      notes: [`latency: a live room of ${options.liveMembers} members at ${options.liveRate} msg/s while the ${connected} connections idle`],
    };
    if (target.pids.length === 0) {
      // A deployment benchmarked by URL: its processes are not visible from here.
      delete idle.rssKbPerConn;
      delete idle.heapKbPerConn;
      idle.extra = { connections: connected, liveRoomDeliveries: lw.deliveries };
      delete storm.extra!.serverCpuMsPerConnection;
    }
    return { storm, idle };
  } finally {
    for (const c of live) c.close();
    await pool.stop();
  }
}

/**
 * Idle CPU that the connections cost (heart-beats, presence, their garbage): the process's idle CPU
 * less its CPU with no connection, per 10,000 connections, and that slope taken to 100,000 (the issue's
 * one-process scale), in cores. A projection wherever fewer connections were measured.
 * `idleCoresAt100kUpperBound` counts all of the process's idle CPU as the connections': the figure
 * to judge by when the slope is lost in noise (the no-connection baseline can read higher than the
 * idle window when the connections cost less than the machine's neighbours move it).
 */
function perConnectionIdleCpu(idleCores: number, quietCores: number, connections: number): Record<string, number> {
  const perConnection = Math.max(0, idleCores - quietCores) / connections;
  return {
    idleCpuPctOfCoreNoConnections: round(quietCores * 100, 2),
    idleCpuPctOfCorePer10kConnections: round(perConnection * 10_000 * 100, 2),
    idleCoresAt100kConnections: round(perConnection * 100_000, 3),
    idleCoresAt100kUpperBound: round((idleCores / connections) * 100_000, 3),
  };
}
