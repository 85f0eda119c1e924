import type { DeliveryHandler, LoadConnection } from '../clients/connection.js';
import { openSpec, type ConnectSpec } from '../clients/spec.js';
import { RatePublisher } from '../publisher.js';

/** A batch of connections to open, each from its source address when given. */
export interface OpenRequest {
  items: { spec: ConnectSpec; localAddress?: string }[];
  /** Connection attempts in flight in this group. */
  concurrency: number;
  /** Stop opening after this many failures (connect storm); Infinity: fail on the first. */
  maxFailures: number;
}

export interface OpenResult {
  opened: number;
  failures: number;
  firstError?: string;
  /** Time from starting each successful connection to its being ready (subscribed), ms. */
  connectMs: number[];
}

/**
 * The connections one load thread holds (a worker, or the main thread with
 * --load-workers 0): opens them from specs, publishes at a rate over those
 * that publish, closes them.
 */
export class LoadGroup {
  readonly connections: LoadConnection[] = [];
  /** Connections the server ended after they were set up (Chorus: STOMP ERROR, e.g. a send limit). */
  readonly dropped = { count: 0, first: undefined as string | undefined };
  #publisher: RatePublisher | null = null;
  readonly #onDropped = (message: string): void => {
    this.dropped.count++;
    this.dropped.first ??= message;
  };

  constructor(private readonly onMessage: DeliveryHandler) {}

  async open(request: OpenRequest): Promise<OpenResult> {
    let next = 0;
    let failures = 0;
    let firstError: string | undefined;
    let opened = 0;
    const connectMs: number[] = [];
    const strict = !Number.isFinite(request.maxFailures);
    const run = async () => {
      while (next < request.items.length && failures < request.maxFailures) {
        const i = next++;
        try {
          const item = request.items[i]!;
          const t0 = performance.now();
          this.connections.push(await openSpec(item.spec, this.onMessage, item.localAddress, this.#onDropped));
          connectMs.push(performance.now() - t0);
          opened++;
        } catch (err) {
          if (strict) throw err;
          failures++;
          firstError ??= err instanceof Error ? err.message : String(err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(request.concurrency, request.items.length)) }, run));
    return { opened, failures, connectMs, ...(firstError !== undefined ? { firstError } : {}) };
  }

  /** Sends `rate` messages/s in total over this group's connections (shuffled, so consecutive sends go to different rooms). */
  startPublishing(rate: number, messageBytes: number): void {
    this.stopPublishing();
    const shuffled = [...this.connections];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    if (shuffled.length === 0 || rate <= 0) return;
    this.#publisher = new RatePublisher(shuffled, messageBytes);
    this.#publisher.start(rate);
  }

  /** Stops publishing; returns the messages sent since startPublishing. */
  stopPublishing(): number {
    const p = this.#publisher;
    this.#publisher = null;
    p?.stop();
    return p?.sent ?? 0;
  }

  closeAll(): void {
    this.stopPublishing();
    for (const c of this.connections.splice(0)) c.close();
  }
}
