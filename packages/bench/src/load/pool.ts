import { cpus } from 'node:os';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ConnectSpec } from '../clients/spec.js';
import type { DeliveryMeter, LoadThreads } from '../meter.js';
import { LatencyHistogram } from '../stats.js';
import { LoadGroup, type OpenResult } from './group.js';
import type { WorkerCall, WorkerReply } from './protocol.js';

/**
 * Default load workers: a quarter of the cores, at least 1, at most 8. Each
 * worker is one thread that can take roughly 250–300k deliveries/s; the
 * servers under test, Postgres and Redis need the other cores, and beyond 8
 * threads the fan-out publishers (main thread) and the servers are the limit
 * long before the receivers are. So 1 on 2–7 cores, 4 on 16, 8 from 32 up.
 */
export const defaultLoadWorkers = (cores = cpus().length): number => Math.max(1, Math.min(8, Math.floor(cores / 4)));

/** 127.0.0.1 … 127.0.0.n: loopback source addresses (all of 127/8 routes to lo on Linux). */
export function loopbackAddresses(n: number): string[] {
  if (!Number.isInteger(n) || n < 1 || n > 254) throw new Error(`source addresses must be 1..254, got ${n}`);
  return Array.from({ length: n }, (_, i) => `127.0.0.${i + 1}`);
}

// Under tsx (pnpm bench, tests) the sources are .ts; in the bench bundle they are transpiled to .js side by side.
const WORKER_FILE = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

/**
 * A worker on a .ts entry needs tsx's loader registered in its own thread first
 * (Node 20 does not apply `--import tsx` from execArgv to a worker's entry).
 */
function spawnWorker(workerData: unknown): Worker {
  if (!WORKER_FILE.pathname.endsWith('.ts')) return new Worker(WORKER_FILE, { workerData });
  const api = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(WORKER_FILE.href)}); })`;
  return new Worker(code, { eval: true, workerData });
}

interface RemoteWorker {
  worker: Worker;
  pending: Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>;
  connections: number;
}

/**
 * Load connections spread over worker threads (or held by the main thread with
 * 0 workers). Deliveries are recorded per thread into shared histograms that
 * the scenario's DeliveryMeter merges, so percentiles are of all samples.
 */
export class LoadPool implements LoadThreads {
  readonly #remotes: RemoteWorker[] = [];
  readonly #local: LoadGroup | null;
  #nextId = 1;

  private constructor(meter: DeliveryMeter, workers: number) {
    this.#local = workers === 0 ? new LoadGroup(meter.onMessage) : null;
  }

  static async start(workers: number, meter: DeliveryMeter): Promise<LoadPool> {
    const pool = new LoadPool(meter, workers);
    const readiness: Promise<WorkerReply>[] = [];
    for (let i = 0; i < workers; i++) {
      const histogram = LatencyHistogram.sharedBuffer();
      const counters = new SharedArrayBuffer(8);
      const worker = spawnWorker({ histogram, counters });
      const remote: RemoteWorker = { worker, pending: new Map(), connections: 0 };
      // The worker's first message (id 0) says its module is loaded and listening.
      const ready = new Promise<WorkerReply>((resolve, reject) => remote.pending.set(0, { resolve, reject }));
      readiness.push(ready);
      worker.on('message', (reply: WorkerReply) => {
        const p = remote.pending.get(reply.id);
        remote.pending.delete(reply.id);
        if (reply.error !== undefined) p?.reject(new Error(reply.error));
        else p?.resolve(reply);
      });
      const failAll = (err: Error) => {
        for (const p of remote.pending.values()) p.reject(err);
        remote.pending.clear();
      };
      worker.on('error', failAll);
      worker.on('exit', (code) => failAll(new Error(`load worker exited (code ${code})`)));
      pool.#remotes.push(remote);
      const bad = new Float64Array(counters);
      meter.addRemote(new LatencyHistogram(histogram), () => bad[0]!);
    }
    try {
      await Promise.all(readiness);
    } catch (err) {
      await Promise.all(pool.#remotes.map((r) => r.worker.terminate()));
      throw err;
    }
    return pool;
  }

  get workers(): number {
    return this.#remotes.length;
  }

  #call(remote: RemoteWorker, request: WorkerCall): Promise<WorkerReply> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      remote.pending.set(id, { resolve, reject });
      remote.worker.postMessage({ ...request, id });
    });
  }

  /**
   * Opens the connections, spec i in thread i mod threads, from
   * `localAddresses[i mod n]` when given; `concurrency` attempts in flight over all threads.
   */
  async open(specs: ConnectSpec[], options: { concurrency: number; localAddresses?: string[]; maxFailures?: number }): Promise<OpenResult> {
    const addresses = options.localAddresses ?? [];
    const items = specs.map((spec, i) => (addresses.length > 0 ? { spec, localAddress: addresses[i % addresses.length]! } : { spec }));
    const maxFailures = options.maxFailures ?? Infinity;
    if (this.#local) return this.#local.open({ items, concurrency: options.concurrency, maxFailures });
    const n = this.#remotes.length;
    const results = await Promise.all(
      this.#remotes.map(async (remote, k) => {
        const share = items.filter((_, i) => i % n === k);
        const reply = await this.#call(remote, { op: 'open', open: { items: share, concurrency: Math.ceil(options.concurrency / n), maxFailures } });
        remote.connections += reply.result!.opened;
        return reply.result!;
      }),
    );
    const firstError = results.find((r) => r.firstError !== undefined)?.firstError;
    return {
      opened: results.reduce((a, r) => a + r.opened, 0),
      failures: results.reduce((a, r) => a + r.failures, 0),
      connectMs: results.flatMap((r) => r.connectMs),
      ...(firstError !== undefined ? { firstError } : {}),
    };
  }

  /** Every connection sends now and then: `rate` messages/s in total, split over the threads by their connections. */
  async startPublishing(rate: number, messageBytes: number): Promise<void> {
    if (this.#local) return this.#local.startPublishing(rate, messageBytes);
    const total = this.#remotes.reduce((a, r) => a + r.connections, 0);
    await Promise.all(this.#remotes.map((r) => this.#call(r, { op: 'publish', rate: total > 0 ? (rate * r.connections) / total : 0, messageBytes })));
  }

  /** Stops publishing; returns the messages sent and the connections the server ended (with the first reason). */
  async stopPublishing(): Promise<{ sent: number; dropped: number; firstDropReason?: string }> {
    if (this.#local) {
      const { count, first } = this.#local.dropped;
      return { sent: this.#local.stopPublishing(), dropped: count, ...(first !== undefined ? { firstDropReason: first } : {}) };
    }
    const replies = await Promise.all(this.#remotes.map((r) => this.#call(r, { op: 'stop-publishing' })));
    const first = replies.find((r) => r.dropped?.first !== undefined)?.dropped?.first;
    return {
      sent: replies.reduce((a, r) => a + (r.count ?? 0), 0),
      dropped: replies.reduce((a, r) => a + (r.dropped?.count ?? 0), 0),
      ...(first !== undefined ? { firstDropReason: first } : {}),
    };
  }

  async closeAll(): Promise<void> {
    if (this.#local) return this.#local.closeAll();
    await Promise.all(this.#remotes.map((r) => this.#call(r, { op: 'close' })));
    for (const r of this.#remotes) r.connections = 0;
  }

  /** Closes the connections and ends the threads. */
  async stop(): Promise<void> {
    try {
      await this.closeAll();
    } finally {
      await Promise.all(this.#remotes.map((r) => r.worker.terminate()));
    }
  }

  elu(): EventLoopUtilization[] {
    return this.#remotes.map((r) => r.worker.performance.eventLoopUtilization());
  }

  eluSince(start: EventLoopUtilization[]): number[] {
    return this.#remotes.map((r, i) => (start[i] ? r.worker.performance.eventLoopUtilization(start[i]).utilization : 0));
  }
}
