import { rateLimited } from '../errors.js';

/**
 * Runs at most `concurrency` tasks at once and lets at most `maxQueued` more wait; beyond that
 * a task is refused at once (429 with Retry-After) instead of piling up. Password hashing runs
 * through one of these, so a flood of logins cannot take every libuv thread (static files,
 * DNS and everyone else's requests need them too) or grow an unbounded queue.
 */
export class BoundedWork {
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(
    readonly concurrency: number,
    readonly maxQueued: number,
    private readonly busyMessage = 'the server is busy; try again shortly',
  ) {}

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active < this.concurrency) {
      this.#active++;
    } else {
      if (this.#waiting.length >= this.maxQueued) throw rateLimited(this.busyMessage, 1);
      // The finishing task hands its slot over, so #active stays counted.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    }
  }
}
