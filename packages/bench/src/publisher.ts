import type { LoadConnection } from './clients/connection.js';
import { stampedText } from './clients/payload.js';

const TICK_MS = 5;

/**
 * Sends at a fixed total rate (messages/s), round-robin over the connections,
 * catching up on timer lateness so the offered rate holds under load.
 */
export class RatePublisher {
  sent = 0;
  #timer: NodeJS.Timeout | undefined;
  #next = 0;

  constructor(
    private readonly connections: LoadConnection[],
    private readonly messageBytes: number,
    /** Makes a stamped text of the given size (default: the stamp padded with 'x'). */
    private readonly makeText: (bytes: number) => string = stampedText,
  ) {}

  start(ratePerSecond: number): void {
    this.stop();
    const t0 = performance.now();
    const base = this.sent;
    this.#timer = setInterval(() => {
      const due = Math.floor(((performance.now() - t0) / 1000) * ratePerSecond) - (this.sent - base);
      for (let i = 0; i < due; i++) {
        const conn = this.connections[this.#next++ % this.connections.length]!;
        conn.publish(this.makeText(this.messageBytes));
        this.sent++;
      }
    }, TICK_MS);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
