import type { TopicHandler } from '../../src/broker/broker.js';

/** Rejects with a message naming what was awaited if `promise` takes longer than `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string | (() => string)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Records the payloads a handler receives and lets a test await a count. */
export class Collector {
  readonly payloads: string[] = [];
  #waiters: Array<{ count: number; resolve: () => void }> = [];

  readonly handler: TopicHandler = (payload) => {
    this.payloads.push(payload);
    this.#waiters = this.#waiters.filter((waiter) => {
      if (this.payloads.length < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  };

  /** Resolves once at least `count` payloads have arrived; bounded by `ms`. */
  async waitFor(count: number, ms = 5000): Promise<string[]> {
    if (this.payloads.length < count) {
      await within(
        new Promise<void>((resolve) => this.#waiters.push({ count, resolve })),
        ms,
        () => `${count} payloads (got ${this.payloads.length})`,
      );
    }
    return this.payloads;
  }
}
