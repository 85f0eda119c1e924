import type { Broker, BrokerState, TopicHandler } from './broker.js';
import { unavailable } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

/** One `subscribe` call; an object so that the same function subscribed twice counts twice. */
interface Subscription {
  readonly handler: TopicHandler;
}

/**
 * In-process broker for the embedded (single-process) deployment. It mirrors
 * Redis pub/sub: delivery happens on a later microtask, never inside
 * `publish`'s call stack, in publish order, to the handlers subscribed when the
 * payload is delivered.
 */
export class MemoryBroker implements Broker {
  readonly state: BrokerState = 'ready';
  readonly #topics = new Map<string, Set<Subscription>>();
  readonly #logger: Logger | undefined;
  #closed = false;

  constructor(options: { logger?: Logger; metrics?: Metrics } = {}) {
    this.#logger = options.logger?.child({ component: 'broker', broker: 'memory' });
    options.metrics?.brokerUp.set(1);
  }

  async publish(topic: string, payload: string): Promise<void> {
    if (this.#closed) throw unavailable('broker is closed');
    queueMicrotask(() => this.#deliver(topic, payload));
  }

  async subscribe(topic: string, handler: TopicHandler): Promise<() => Promise<void>> {
    if (this.#closed) throw unavailable('broker is closed');
    const subscription: Subscription = { handler };
    let subscriptions = this.#topics.get(topic);
    if (!subscriptions) {
      subscriptions = new Set();
      this.#topics.set(topic, subscriptions);
    }
    subscriptions.add(subscription);
    return async () => {
      const current = this.#topics.get(topic);
      if (!current?.delete(subscription)) return;
      if (current.size === 0) this.#topics.delete(topic);
    };
  }

  onStateChange(_listener: (state: BrokerState) => void): () => void {
    return () => {};
  }

  onReconnect(_listener: () => void): () => void {
    return () => {};
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#topics.clear();
  }

  /** Whether the topic has a handler (the memory counterpart of an upstream subscription). */
  hasSubscribers(topic: string): boolean {
    return this.#topics.has(topic);
  }

  #deliver(topic: string, payload: string): void {
    const subscriptions = this.#topics.get(topic);
    if (!subscriptions) return;
    for (const subscription of [...subscriptions]) {
      // A handler removed by an earlier handler in this round must not run.
      if (!subscriptions.has(subscription)) continue;
      try {
        subscription.handler(payload);
      } catch (err) {
        this.#logger?.error({ err, topic }, 'broker handler threw');
      }
    }
  }
}
