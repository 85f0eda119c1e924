import { Redis, type RedisOptions } from 'ioredis';
import type { Broker, BrokerState, TopicHandler } from './broker.js';
import { unavailable } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { definePublishMany, PublishBatch } from './redis-publish-batch.js';
import { subscribeWhenReady } from './redis-subscriber.js';

export interface RedisBrokerOptions {
  url: string;
  logger: Logger;
  metrics?: Metrics;
  /** Shown as the Redis CLIENT name (`<name>:pub`, `<name>:sub`) and in logs. */
  name?: string;
  /** Reconnect back-off: doubles from `initialMs` up to `maxMs` (defaults 100 and 5000). */
  reconnectDelay?: { initialMs?: number; maxMs?: number };
  /** Bound on every Redis command, so that nothing waits on a dead connection (default 5000). */
  commandTimeoutMs?: number;
}

/** One `subscribe` call; an object so that the same function subscribed twice counts twice. */
interface Subscription {
  readonly handler: TopicHandler;
}

interface TopicEntry {
  readonly subscriptions: Set<Subscription>;
  /** Whether the subscriber connection holds SUBSCRIBE for this topic. */
  upstream: boolean;
  /** SUBSCRIBE/UNSUBSCRIBE for one topic run one after another, on this chain. */
  chain: Promise<void>;
  pending: number;
}

/** Passwords never reach logs or descriptions. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<invalid url>';
  }
}

/**
 * Redis pub/sub broker: one publisher and one subscriber connection per
 * process, whatever the number of topics and handlers. Topic subscriptions are
 * reference-counted and reconciled per topic (the upstream state is brought in
 * line with the local handler set after each change), so concurrent subscribe
 * and unsubscribe calls cannot leave a wrong final state.
 *
 * Nothing is queued while Redis is unreachable: publish and subscribe fail fast
 * with ChorusError('unavailable'). After a reconnection every topic is
 * subscribed again before the state returns to 'ready' and `onReconnect`
 * listeners run.
 */
export class RedisBroker implements Broker {
  readonly #pub: Redis;
  readonly #sub: Redis;
  readonly #publishes: PublishBatch;
  readonly #logger: Logger;
  readonly #metrics: Metrics | undefined;
  readonly #topics = new Map<string, TopicEntry>();
  readonly #stateListeners = new Set<(state: BrokerState) => void>();
  readonly #reconnectListeners = new Set<() => void>();
  #state: BrokerState = 'connecting';
  #pubReady = false;
  /** True once the subscriber connection is ready and every topic is subscribed again. */
  #subSynced = false;
  /** Incremented whenever the subscriber connection closes; stale resyncs compare against it. */
  #subEpoch = 0;
  #lastError: Error | undefined;
  #closed = false;

  constructor(options: RedisBrokerOptions) {
    const name = options.name ?? 'chorus';
    this.#logger = options.logger.child({ component: 'broker', broker: 'redis', name });
    this.#metrics = options.metrics;
    this.#metrics?.brokerUp.set(0);

    const initialMs = options.reconnectDelay?.initialMs ?? 100;
    const maxMs = options.reconnectDelay?.maxMs ?? 5000;
    const common: RedisOptions = {
      // Capped exponential back-off with jitter, so that replicas do not reconnect in lock-step.
      retryStrategy: (attempt) => {
        const delay = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 30));
        return Math.round(delay * (0.75 + Math.random() * 0.25));
      },
      // Fail fast instead of queueing: commands issued while disconnected reject at once,
      // commands in flight when the connection drops reject on the drop.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
      commandTimeout: options.commandTimeoutMs ?? 5000,
    };
    // Auto-pipelining sends every PUBLISH issued in one tick in a single write:
    // a fan-out burst or a group-committed batch costs one syscall, not one each.
    this.#pub = new Redis(options.url, { ...common, connectionName: `${name}:pub`, enableAutoPipelining: true });
    this.#publishes = new PublishBatch(definePublishMany(this.#pub));
    this.#sub = new Redis(options.url, { ...common, connectionName: `${name}:sub` });

    for (const [role, connection] of [['pub', this.#pub], ['sub', this.#sub]] as const) {
      connection.on('error', (err: Error) => {
        this.#lastError = err;
        this.#logger.warn({ err, connection: role }, 'redis connection error');
      });
    }
    this.#pub.on('ready', () => {
      this.#pubReady = true;
      this.#updateState();
    });
    this.#pub.on('close', () => {
      this.#pubReady = false;
      this.#updateState();
    });
    this.#sub.on('ready', () => void this.#resubscribeAll());
    this.#sub.on('close', () => {
      this.#subEpoch++;
      this.#subSynced = false;
      for (const entry of this.#topics.values()) entry.upstream = false;
      this.#updateState();
    });
    this.#sub.on('message', (topic: string, payload: string) => this.#deliver(topic, payload));
  }

  get state(): BrokerState {
    return this.#state;
  }

  /** The last connection error, for diagnostics (e.g. why the broker never became ready). */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  /** Resolves once the broker is ready; rejects with ChorusError('unavailable') after `timeoutMs`. */
  async waitUntilReady(timeoutMs: number): Promise<void> {
    if (this.#state === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        const reason = this.#lastError ? `: ${this.#lastError.message}` : '';
        reject(unavailable(`redis not ready after ${timeoutMs} ms${reason}`, this.#lastError));
      }, timeoutMs);
      const stop = this.onStateChange((state) => {
        if (state !== 'ready') return;
        clearTimeout(timer);
        stop();
        resolve();
      });
    });
  }

  async publish(topic: string, payload: string): Promise<void> {
    if (this.#closed) throw unavailable('broker is closed');
    try {
      await this.#publishes.publish(topic, payload);
    } catch (err) {
      this.#metrics?.brokerErrors.inc();
      throw unavailable(`broker publish failed: ${(err as Error).message}`, err);
    }
  }

  async subscribe(topic: string, handler: TopicHandler): Promise<() => Promise<void>> {
    if (this.#closed) throw unavailable('broker is closed');
    const subscription: Subscription = { handler };
    const entry = this.#entry(topic);
    entry.subscriptions.add(subscription);
    try {
      await this.#reconcile(topic, entry);
    } catch (err) {
      entry.subscriptions.delete(subscription);
      // Drops the upstream subscription again if a concurrent failure left one without handlers.
      this.#reconcile(topic, entry).catch(() => {});
      this.#metrics?.brokerErrors.inc();
      throw unavailable(`broker subscribe failed: ${(err as Error).message}`, err);
    }
    let removed = false;
    return async () => {
      if (removed) return;
      removed = true;
      entry.subscriptions.delete(subscription);
      try {
        await this.#reconcile(topic, entry);
      } catch (err) {
        // The handler is gone locally; a stale upstream subscription only costs ignored messages
        // and is dropped by the next reconcile of this topic or by the next reconnection.
        this.#metrics?.brokerErrors.inc();
        this.#logger.warn({ err, topic }, 'redis unsubscribe failed');
      }
    };
  }

  onStateChange(listener: (state: BrokerState) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  onReconnect(listener: () => void): () => void {
    this.#reconnectListeners.add(listener);
    return () => this.#reconnectListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stateListeners.clear();
    this.#reconnectListeners.clear();
    this.#topics.clear();
    await Promise.all([quit(this.#pub), quit(this.#sub)]);
    this.#state = 'down';
    this.#metrics?.brokerUp.set(0);
  }

  #entry(topic: string): TopicEntry {
    let entry = this.#topics.get(topic);
    if (!entry) {
      entry = { subscriptions: new Set(), upstream: false, chain: Promise.resolve(), pending: 0 };
      this.#topics.set(topic, entry);
    }
    return entry;
  }

  /** Queues a step that brings the upstream subscription in line with the handler set. */
  #reconcile(topic: string, entry: TopicEntry): Promise<void> {
    entry.pending++;
    const step = entry.chain.then(() => this.#sync(topic, entry)).finally(() => {
      entry.pending--;
      if (entry.pending === 0 && entry.subscriptions.size === 0 && !entry.upstream && this.#topics.get(topic) === entry) {
        this.#topics.delete(topic);
      }
    });
    entry.chain = step.catch(() => {});
    return step;
  }

  async #sync(topic: string, entry: TopicEntry): Promise<void> {
    const wanted = entry.subscriptions.size > 0;
    if (wanted === entry.upstream || this.#closed) return;
    const epoch = this.#subEpoch;
    if (wanted) await subscribeWhenReady(this.#sub, topic);
    else await this.#sub.unsubscribe(topic);
    // A reply from a connection that has since closed says nothing about the current one.
    if (epoch === this.#subEpoch) entry.upstream = wanted;
  }

  async #resubscribeAll(): Promise<void> {
    const epoch = this.#subEpoch;
    const results = await Promise.allSettled([...this.#topics].map(([topic, entry]) => this.#reconcile(topic, entry)));
    if (epoch !== this.#subEpoch || this.#closed) return;
    const failed = results.filter((result) => result.status === 'rejected');
    if (failed.length > 0) {
      this.#metrics?.brokerErrors.inc(failed.length);
      this.#logger.error({ err: failed[0]?.reason, failed: failed.length }, 'redis resubscribe failed for some topics');
    }
    this.#subSynced = true;
    this.#updateState();
  }

  #updateState(): void {
    if (this.#closed) return;
    const previous = this.#state;
    let next: BrokerState;
    if (this.#pubReady && this.#subSynced) next = 'ready';
    else next = previous === 'connecting' ? 'connecting' : 'down';
    if (next === previous) return;
    this.#state = next;
    this.#metrics?.brokerUp.set(next === 'ready' ? 1 : 0);
    if (next === 'ready') this.#logger.info(previous === 'down' ? 'redis reconnected' : 'redis connected');
    else this.#logger.warn('redis connection lost');
    for (const listener of [...this.#stateListeners]) this.#safely(() => listener(next), 'state listener threw');
    if (previous === 'down' && next === 'ready') {
      for (const listener of [...this.#reconnectListeners]) this.#safely(listener, 'reconnect listener threw');
    }
  }

  #deliver(topic: string, payload: string): void {
    const subscriptions = this.#topics.get(topic)?.subscriptions;
    if (!subscriptions) return;
    if (subscriptions.size === 1) {
      // The usual case (one subscription per topic per process): no copy of the set, no closure.
      const only = subscriptions.values().next().value!;
      try {
        only.handler(payload);
      } catch (err) {
        this.#logger.error({ err, topic }, 'broker handler threw');
      }
      return;
    }
    for (const subscription of [...subscriptions]) {
      // A handler removed by an earlier handler in this round must not run.
      if (!subscriptions.has(subscription)) continue;
      this.#safely(() => subscription.handler(payload), 'broker handler threw', topic);
    }
  }

  #safely(fn: () => void, message: string, topic?: string): void {
    try {
      fn();
    } catch (err) {
      this.#logger.error({ err, topic }, message);
    }
  }
}

async function quit(connection: Redis): Promise<void> {
  if (connection.status === 'ready') {
    try {
      await connection.quit();
      return;
    } catch {
      // fall through: the connection is already gone
    }
  }
  connection.disconnect();
}
