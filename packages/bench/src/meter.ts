import { cpus } from 'node:os';
import { machineCpu, sampleProcesses } from './proc-stats.js';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { LatencyHistogram, type LatencySummary } from './stats.js';
import { now } from './clients/payload.js';

/**
 * Deliveries and their latency for a scenario: the main thread's own histogram
 * plus the shared ones of the load workers (see load/pool.ts). Counts are
 * never reset; a window is the difference of two snapshots.
 */
export class DeliveryMeter {
  readonly latency = new LatencyHistogram();
  readonly #remote: { latency: LatencyHistogram; bad: () => number }[] = [];
  #bad = 0;

  /** Pass as onMessage to subscribers in this thread. */
  readonly onMessage = (sentAt: number): void => {
    if (sentAt !== sentAt) {
      this.#bad++;
      return;
    }
    this.latency.record(now() - sentAt);
  };

  /** A load worker's histogram (shared memory) and its count of unparsed messages. */
  addRemote(latency: LatencyHistogram, bad: () => number): void {
    this.#remote.push({ latency, bad });
  }

  get received(): number {
    let n = this.latency.count;
    for (const r of this.#remote) n += r.latency.count;
    return n;
  }

  get bad(): number {
    let n = this.#bad;
    for (const r of this.#remote) n += r.bad();
    return n;
  }

  /** All samples so far, merged bucket by bucket over the threads. */
  snapshot(): LatencyHistogram {
    const h = this.latency.copy();
    for (const r of this.#remote) h.add(r.latency);
    return h;
  }
}

/** Event-loop utilisation of the load generator's threads, so "the load generator is the limit" is per thread. */
export interface LoadThreads {
  elu(): EventLoopUtilization[];
  eluSince(start: EventLoopUtilization[]): number[];
}

export interface Window {
  seconds: number;
  deliveries: number;
  /** Latency of the deliveries in the window, merged over the load threads. */
  latency: LatencySummary;
  serverCpuSeconds: number;
  /** Fraction of all cores busy over the window (load generator, servers, Redis, Postgres, other jobs). */
  machineBusy: number;
  /** Busiest load-generator thread: fraction of its time its event loop was busy. */
  loadgenBusy: number;
  /** Load-generator CPU (all threads), in cores. */
  loadgenCores: number;
}

/** Measures a window: deliveries, latency, server CPU, machine CPU, load-generator CPU. */
export class WindowMeter {
  #t0 = 0;
  #hist0 = new LatencyHistogram();
  #cpu0 = 0;
  #machine0 = { busySeconds: 0, totalSeconds: 0 };
  #self0: NodeJS.CpuUsage = { user: 0, system: 0 };
  #elu0: EventLoopUtilization = performance.eventLoopUtilization();
  #threads0: EventLoopUtilization[] = [];

  constructor(
    private readonly pids: number[],
    private readonly meter: DeliveryMeter,
    private readonly threads?: LoadThreads,
  ) {}

  start(): void {
    this.#hist0 = this.meter.snapshot();
    this.#t0 = performance.now();
    this.#cpu0 = sampleProcesses(this.pids).cpuSeconds;
    this.#machine0 = machineCpu();
    this.#self0 = process.cpuUsage();
    this.#elu0 = performance.eventLoopUtilization();
    this.#threads0 = this.threads?.elu() ?? [];
  }

  stop(): Window {
    const seconds = (performance.now() - this.#t0) / 1000;
    const hist = this.meter.snapshot().since(this.#hist0);
    const machine = machineCpu();
    const self = process.cpuUsage(this.#self0);
    const machineTotal = machine.totalSeconds - this.#machine0.totalSeconds;
    const elus = [performance.eventLoopUtilization(this.#elu0).utilization, ...(this.threads?.eluSince(this.#threads0) ?? [])];
    return {
      seconds,
      deliveries: hist.count,
      latency: hist.summary(),
      serverCpuSeconds: sampleProcesses(this.pids).cpuSeconds - this.#cpu0,
      machineBusy: machineTotal > 0 ? (machine.busySeconds - this.#machine0.busySeconds) / machineTotal : 0,
      loadgenBusy: Math.max(...elus),
      loadgenCores: (self.user + self.system) / 1e6 / seconds,
    };
  }
}

export const CORES = cpus().length;

/** ms of server CPU per 1,000 deliveries. */
export const cpuMsPer1k = (w: Window): number => (w.deliveries > 0 ? (w.serverCpuSeconds * 1000) / (w.deliveries / 1000) : 0);

/** Says when the measurement, rather than the server, may have been the limit. */
export function limitNote(w: Window): string | null {
  if (w.machineBusy >= 0.9) return `machine-bound (all ${CORES} cores ${(w.machineBusy * 100).toFixed(0)}% busy)`;
  if (w.loadgenBusy >= 0.9) return `load-generator-bound (a load thread's event loop ${(w.loadgenBusy * 100).toFixed(0)}% busy)`;
  return null;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until `done()` or the timeout. */
export async function waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) return false;
    await sleep(20);
  }
  return true;
}
