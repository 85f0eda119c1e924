import { cpus } from 'node:os';
import { machineCpu, sampleProcesses } from './proc-stats.js';
import { LatencyHistogram } from './stats.js';
import { now } from './clients/payload.js';

/** Delivery counter + latency histogram shared by every subscriber of a scenario. */
export class DeliveryMeter {
  readonly latency = new LatencyHistogram();
  received = 0;
  bad = 0;

  /** Pass as onMessage to subscribers. */
  readonly onMessage = (sentAt: number): void => {
    if (sentAt !== sentAt) {
      this.bad++;
      return;
    }
    this.received++;
    this.latency.record(now() - sentAt);
  };
}

export interface Window {
  seconds: number;
  deliveries: number;
  serverCpuSeconds: number;
  /** Fraction of all cores busy over the window (load generator, servers, Redis, Postgres, other jobs). */
  machineBusy: number;
  /** Fraction of one core used by this load-generator process. */
  loadgenBusy: number;
}

/** Measures a window: deliveries, server CPU, machine CPU, load-generator CPU. */
export class WindowMeter {
  #t0 = 0;
  #received0 = 0;
  #cpu0 = 0;
  #machine0 = { busySeconds: 0, totalSeconds: 0 };
  #self0: NodeJS.CpuUsage = { user: 0, system: 0 };

  constructor(
    private readonly pids: number[],
    private readonly meter: DeliveryMeter,
  ) {}

  start(): void {
    this.meter.latency.reset();
    this.#t0 = performance.now();
    this.#received0 = this.meter.received;
    this.#cpu0 = sampleProcesses(this.pids).cpuSeconds;
    this.#machine0 = machineCpu();
    this.#self0 = process.cpuUsage();
  }

  stop(): Window {
    const seconds = (performance.now() - this.#t0) / 1000;
    const machine = machineCpu();
    const self = process.cpuUsage(this.#self0);
    const machineTotal = machine.totalSeconds - this.#machine0.totalSeconds;
    return {
      seconds,
      deliveries: this.meter.received - this.#received0,
      serverCpuSeconds: sampleProcesses(this.pids).cpuSeconds - this.#cpu0,
      machineBusy: machineTotal > 0 ? (machine.busySeconds - this.#machine0.busySeconds) / machineTotal : 0,
      loadgenBusy: (self.user + self.system) / 1e6 / seconds,
    };
  }
}

export const CORES = cpus().length;

/** ms of server CPU per 1,000 deliveries. */
export const cpuMsPer1k = (w: Window): number => (w.deliveries > 0 ? (w.serverCpuSeconds * 1000) / (w.deliveries / 1000) : 0);

/** Says when the measurement, rather than the server, may have been the limit. */
export function limitNote(w: Window): string | null {
  if (w.machineBusy >= 0.9) return `machine-bound (all ${CORES} cores ${(w.machineBusy * 100).toFixed(0)}% busy)`;
  if (w.loadgenBusy >= 0.9) return `load-generator-bound (${(w.loadgenBusy * 100).toFixed(0)}% of a core)`;
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
