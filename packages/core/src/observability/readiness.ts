import type { Broker } from '../broker/broker.js';
import type { Store } from '../store/store.js';
import type { Metrics } from './metrics.js';

export interface ReadinessState {
  ready: boolean;
  reasons: string[];
}

/**
 * What /readyz answers. Storage is pinged in the background (probes must not
 * queue database work), the broker reports its own state, and draining makes
 * the process unready so load balancers stop sending it new connections.
 */
export class Readiness {
  #storeOk = false;
  #draining = false;
  #started = false;
  #timer: NodeJS.Timeout | undefined;
  /** Further dependencies pinged with the store (the object store), by name; value: last ping ok. */
  readonly #checks = new Map<string, { ping: () => Promise<void>; ok: boolean }>();

  constructor(
    private readonly store: Store,
    private readonly broker: Broker,
    private readonly metrics?: Metrics,
    private readonly pingEveryMs = 2000,
  ) {}

  /** Adds a dependency pinged with the store; while its ping fails the process is unready ("<name> unavailable"). */
  addCheck(name: string, ping: () => Promise<void>): void {
    this.#checks.set(name, { ping, ok: false });
  }

  /** Starts background pings; resolves after the first one. */
  async start(): Promise<void> {
    this.#started = true;
    await this.#ping();
    this.#timer = setInterval(() => void this.#ping(), this.pingEveryMs);
    this.#timer.unref();
  }

  async #ping(): Promise<void> {
    try {
      await this.store.ping();
      this.#storeOk = true;
    } catch {
      this.#storeOk = false;
    }
    for (const check of this.#checks.values()) {
      check.ok = await check.ping().then(
        () => true,
        () => false,
      );
    }
    this.metrics?.ready.set(this.state().ready ? 1 : 0);
  }

  startDraining(): void {
    this.#draining = true;
    this.metrics?.ready.set(0);
  }

  get draining(): boolean {
    return this.#draining;
  }

  state(): ReadinessState {
    const reasons: string[] = [];
    if (!this.#started) reasons.push('starting');
    if (this.#draining) reasons.push('draining');
    if (!this.#storeOk) reasons.push('storage unavailable');
    for (const [name, check] of this.#checks) if (!check.ok) reasons.push(`${name} unavailable`);
    if (this.broker.state !== 'ready') reasons.push(`broker ${this.broker.state}`);
    return { ready: reasons.length === 0, reasons };
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}
