import type { Redis } from 'ioredis';

/** Publishes ARGV's (channel, payload) pairs in order; returns how many. */
export const PUBLISH_MANY = `
for i = 1, #ARGV, 2 do redis.call('publish', ARGV[i], ARGV[i + 1]) end
return #ARGV / 2
`;

/** What PublishBatch sends with: a Redis connection with PUBLISH_MANY defined (`definePublishMany`). */
export interface PublishTarget {
  publish(channel: string, message: string): Promise<unknown>;
  publishMany(...args: string[]): Promise<unknown>;
}

export function definePublishMany(redis: Redis): Redis & PublishTarget {
  redis.defineCommand('publishMany', { numberOfKeys: 0, lua: PUBLISH_MANY });
  return redis as Redis & PublishTarget;
}

interface Pending {
  readonly topic: string;
  readonly payload: string;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export interface PublishBatchOptions {
  /** Fewer publishes than this in one turn go out as plain PUBLISH commands (default 16). */
  minScript?: number;
  /** Publishes per script call at most (default 256), so no single call holds Redis long. */
  maxScript?: number;
}

/**
 * Sends the PUBLISHes issued in one turn of the event loop together. A group-committed batch
 * publishes each of its messages in the same turn; as one script call instead of one command each,
 * ioredis builds, writes and settles one command, not dozens, and Redis dispatches one. Small turns
 * (a quiet room's single message) stay plain PUBLISH, which costs less than a script call.
 * Order is kept: turns flush in order, on one connection, and a script publishes its pairs in order.
 */
export class PublishBatch {
  #pending: Pending[] = [];
  readonly #minScript: number;
  readonly #maxScript: number;

  constructor(
    private readonly redis: PublishTarget,
    options: PublishBatchOptions = {},
  ) {
    this.#minScript = Math.max(2, options.minScript ?? 16);
    this.#maxScript = Math.max(this.#minScript, options.maxScript ?? 256);
  }

  publish(topic: string, payload: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // After the microtasks of this turn: every caller a settled commit resumes publishes first.
      if (this.#pending.length === 0) process.nextTick(() => this.#flush());
      this.#pending.push({ topic, payload, resolve, reject });
    });
  }

  #flush(): void {
    const pending = this.#pending;
    this.#pending = [];
    if (pending.length < this.#minScript) {
      for (const p of pending) settle([p], () => this.redis.publish(p.topic, p.payload));
      return;
    }
    for (let from = 0; from < pending.length; from += this.#maxScript) {
      const chunk = pending.slice(from, from + this.#maxScript);
      const args: string[] = [];
      for (const p of chunk) args.push(p.topic, p.payload);
      settle(chunk, () => this.redis.publishMany(...args));
    }
  }
}

/** Settles `waiting` with the command's outcome; a command that throws instead of rejecting (it runs in a nextTick, where a throw would end the process) rejects them too. */
function settle(waiting: readonly Pending[], command: () => Promise<unknown>): void {
  let sent: Promise<unknown>;
  try {
    sent = command();
  } catch (err) {
    sent = Promise.reject(err);
  }
  sent.then(
    () => waiting.forEach((p) => p.resolve()),
    (err: unknown) => waiting.forEach((p) => p.reject(err)),
  );
}
