import type { Broker, Logger } from '@chorus/core';

type Listener<T> = (event: T, payload: string) => void;

interface Slot<T> {
  listeners: Set<Listener<T>>;
  upstream: Promise<() => Promise<void>>;
}

/**
 * Local listeners of broker topics carrying JSON events: one broker
 * subscription per topic per process (taken with the first listener, dropped
 * with the last) and each payload parsed once, whatever the number of listeners.
 */
export class TopicFanout<T> {
  readonly #slots = new Map<string, Slot<T>>();

  constructor(
    private readonly broker: Broker,
    private readonly logger: Logger,
    private readonly parse: (payload: string) => T | null,
  ) {}

  /** Resolves once the broker subscription is in place; rejects (unavailable) when it cannot be. */
  async listen(topic: string, listener: Listener<T>): Promise<() => void> {
    let slot = this.#slots.get(topic);
    if (!slot) {
      const listeners = new Set<Listener<T>>();
      const upstream = this.broker.subscribe(topic, (payload) => this.#deliver(listeners, payload, topic));
      slot = { listeners, upstream };
      this.#slots.set(topic, slot);
      const created = slot;
      upstream.catch(() => {
        if (this.#slots.get(topic) === created) this.#slots.delete(topic);
      });
    }
    const current = slot;
    current.listeners.add(listener);
    try {
      await current.upstream;
    } catch (err) {
      current.listeners.delete(listener);
      throw err;
    }
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      current.listeners.delete(listener);
      if (current.listeners.size > 0 || this.#slots.get(topic) !== current) return;
      this.#slots.delete(topic);
      current.upstream
        .then((unsubscribe) => unsubscribe())
        .catch((err: unknown) => this.logger.debug({ err, topic }, 'upstream unsubscribe failed'));
    };
  }

  /** Delivers an event to this process's listeners only (no broker round trip). */
  deliverLocally(topic: string, event: T): void {
    const slot = this.#slots.get(topic);
    if (slot) this.#deliverParsed(slot.listeners, event, JSON.stringify(event), topic);
  }

  close(): void {
    for (const [topic, slot] of this.#slots) {
      slot.listeners.clear();
      slot.upstream.then((unsubscribe) => unsubscribe()).catch(() => {});
      this.#slots.delete(topic);
    }
  }

  #deliver(listeners: Set<Listener<T>>, payload: string, topic: string): void {
    if (listeners.size === 0) return;
    const event = this.parse(payload);
    if (event === null) {
      this.logger.warn({ topic }, 'ignored a malformed event payload');
      return;
    }
    this.#deliverParsed(listeners, event, payload, topic);
  }

  #deliverParsed(listeners: Set<Listener<T>>, event: T, payload: string, topic: string): void {
    for (const listener of [...listeners]) {
      try {
        listener(event, payload);
      } catch (err) {
        this.logger.error({ err, topic }, 'event listener threw');
      }
    }
  }
}

/** Parses a JSON object payload with a string `type`, or null. */
export function parseTypedEvent<T extends { type: string }>(payload: string): T | null {
  try {
    const value = JSON.parse(payload) as unknown;
    if (value === null || typeof value !== 'object' || typeof (value as { type?: unknown }).type !== 'string') return null;
    return value as T;
  } catch {
    return null;
  }
}
