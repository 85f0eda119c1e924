export interface BackoffOptions {
  /** First delay, in ms. */
  initialMs: number;
  /** Largest delay, in ms. */
  maxMs: number;
  /** Source of randomness in [0, 1); injectable so tests can pin it. */
  random?: () => number;
}

/**
 * Exponential back-off with "equal jitter": attempt n waits between half and
 * all of min(max, initial * 2^n), so a server restart does not bring every
 * client back in the same instant, yet no client waits much longer than needed.
 */
export class Backoff {
  readonly #options: Required<BackoffOptions>;
  #attempt = 0;

  constructor(options: BackoffOptions) {
    if (options.initialMs <= 0 || options.maxMs < options.initialMs) {
      throw new RangeError('backoff needs 0 < initialMs <= maxMs');
    }
    this.#options = { random: Math.random, ...options };
  }

  /** How many delays were handed out since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt; each call grows the next one. */
  next(): number {
    const { initialMs, maxMs, random } = this.#options;
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  }

  reset(): void {
    this.#attempt = 0;
  }
}
