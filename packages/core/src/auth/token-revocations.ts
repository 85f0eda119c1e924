import type { Broker } from '../broker/broker.js';
import { topics } from '../broker/topics.js';
import { unauthorized } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/store.js';

/**
 * Published on `topics.accounts` (every process listens) when a user's tokens are revoked:
 * tokens of a lower `generation` are refused from now on, and with `deleted` every token is.
 */
export interface TokensRevokedEvent {
  type: 'tokens-revoked';
  userId: string;
  generation: number;
  deleted?: boolean;
}

/** Users whose token generation a process remembers at most (about 100 bytes each). */
export const REVOCATION_CACHE_SIZE = 50_000;
/** A remembered generation is read again after this long, whatever the broker says (a safety net). */
export const REVOCATION_CACHE_TTL_MS = 60_000;

interface Entry {
  /** Tokens below it are refused; Infinity for a deleted account. */
  generation: number;
  at: number;
}

/**
 * Which tokens are still good: a token carries its user's token generation (`gen`), and a
 * user's generation moves forward when they log out everywhere or change their password
 * (see docs/accounts.md). Checking a token must not cost a database query per request, so
 * each process remembers the generations it has read (at most REVOCATION_CACHE_SIZE users,
 * each for REVOCATION_CACHE_TTL_MS) and learns of every change from a `tokens-revoked` event
 * on the broker, published by whichever process made it.
 *
 * Staleness: none on the process that made the change (it updates its own memory before
 * answering); elsewhere, the broker's delivery time (milliseconds). The broker is at most
 * once, so nothing is remembered unless this process's subscription stands and the broker
 * is ready: while it is down or reconnecting, every check reads the database, and a
 * reconnection forgets everything (events may have been missed). A generation read from the
 * database while an event for that user arrived is never older than the event's.
 */
export class TokenRevocations {
  readonly #cache = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<number>>();
  readonly #listeners = new Set<(event: TokensRevokedEvent) => void>();
  readonly #offBroker: (() => void)[] = [];
  #unsubscribe: (() => Promise<void>) | null = null;
  /** Bumped whenever the memory is dropped, so a load begun before does not refill it. */
  #epoch = 0;

  constructor(
    private readonly store: Pick<Store, 'getTokenGeneration'>,
    private readonly broker: Broker,
    private readonly logger: Logger,
    private readonly options: { maxEntries?: number; ttlMs?: number } = {},
  ) {}

  /** Subscribes to revocation events; until it has, checks read the database. */
  async start(): Promise<void> {
    this.#offBroker.push(
      this.broker.onStateChange((state) => {
        if (state !== 'ready') this.#forgetAll();
      }),
      this.broker.onReconnect(() => this.#forgetAll()),
    );
    try {
      this.#unsubscribe = await this.broker.subscribe(topics.accounts, (payload) => this.#receive(payload));
    } catch (err) {
      this.logger.warn({ err }, 'could not subscribe to token revocations; checking tokens against the database');
    }
  }

  async close(): Promise<void> {
    for (const off of this.#offBroker.splice(0)) off();
    const unsubscribe = this.#unsubscribe;
    this.#unsubscribe = null;
    this.#forgetAll();
    this.#listeners.clear();
    await unsubscribe?.().catch(() => {});
  }

  /** Throws unauthorized when a token of this user and generation has been revoked. */
  async check(userId: string, generation: number): Promise<void> {
    const current = await this.#current(userId);
    if (current === Infinity) throw unauthorized('account deleted');
    if (generation < current) throw unauthorized('token revoked (logged out)');
  }

  /**
   * Records a revocation this process made (after it is stored) and tells every process,
   * this one's listeners first. A failed publish is logged: the change is stored, and other
   * processes that missed it still refuse the tokens within REVOCATION_CACHE_TTL_MS.
   */
  async revoked(userId: string, generation: number, deleted = false): Promise<void> {
    const event: TokensRevokedEvent = { type: 'tokens-revoked', userId, generation, ...(deleted ? { deleted: true } : {}) };
    this.#apply(event);
    try {
      await this.broker.publish(topics.accounts, JSON.stringify(event));
    } catch (err) {
      this.logger.warn({ err, userId }, 'token revocation not published; other replicas learn of it from the database');
    }
  }

  /** Calls `listener` for every revocation, from this process or any other (possibly twice: it must be idempotent). */
  onRevoked(listener: (event: TokensRevokedEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Users remembered now (for tests and metrics). */
  get size(): number {
    return this.#cache.size;
  }

  #receive(payload: string): void {
    let event: TokensRevokedEvent;
    try {
      event = JSON.parse(payload) as TokensRevokedEvent;
    } catch {
      return;
    }
    if (event?.type !== 'tokens-revoked' || typeof event.userId !== 'string' || typeof event.generation !== 'number') return;
    this.#apply(event);
  }

  #apply(event: TokensRevokedEvent): void {
    this.#remember(event.userId, event.deleted ? Infinity : event.generation);
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger.error({ err }, 'token revocation listener threw');
      }
    }
  }

  get #trusted(): boolean {
    return this.#unsubscribe !== null && this.broker.state === 'ready';
  }

  #current(userId: string): Promise<number> | number {
    const entry = this.#cache.get(userId);
    if (entry && this.#trusted && Date.now() - entry.at < (this.options.ttlMs ?? REVOCATION_CACHE_TTL_MS)) return entry.generation;
    let loading = this.#loading.get(userId);
    if (!loading) {
      loading = this.#load(userId);
      this.#loading.set(userId, loading);
      const started = loading;
      void started.finally(() => {
        if (this.#loading.get(userId) === started) this.#loading.delete(userId);
      }).catch(() => {});
    }
    return loading;
  }

  async #load(userId: string): Promise<number> {
    const epoch = this.#epoch;
    const stored = (await this.store.getTokenGeneration(userId)) ?? Infinity;
    // An event that arrived while the query ran may be newer than what it read.
    const generation = Math.max(stored, this.#cache.get(userId)?.generation ?? -1);
    if (this.#trusted && epoch === this.#epoch) this.#remember(userId, generation);
    return generation;
  }

  #remember(userId: string, generation: number): void {
    const previous = this.#cache.get(userId);
    this.#cache.delete(userId);
    if (this.#cache.size >= (this.options.maxEntries ?? REVOCATION_CACHE_SIZE)) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(userId, { generation: Math.max(generation, previous?.generation ?? -1), at: Date.now() });
  }

  #forgetAll(): void {
    this.#epoch++;
    this.#cache.clear();
  }
}
