/** A session whose heart-beats the scheduler drives. */
export interface HeartbeatParticipant {
  /** Sends a due heart-beat and enforces the client's; `now` is one clock read per tick. */
  heartbeatTick(now: number): void;
}

const MIN_TICK_MS = 25;

/**
 * One timer for the heart-beats of every session in the process, instead of two
 * timers per session: with 10,000 idle connections that is one wake-up per tick
 * rather than thousands of timer callbacks. The tick is at most `maxTickMs` and
 * at most half of the shortest interval any session negotiated, so beats are
 * late by less than half an interval (the spec tolerates much more).
 */
export class HeartbeatScheduler {
  readonly #members = new Set<HeartbeatParticipant>();
  #timer: NodeJS.Timeout | undefined;
  #tickMs = Infinity;

  constructor(private readonly maxTickMs = 1000) {}

  add(participant: HeartbeatParticipant, shortestIntervalMs: number): void {
    this.#members.add(participant);
    const wanted = Math.max(MIN_TICK_MS, Math.min(this.maxTickMs, Math.floor(shortestIntervalMs / 2)));
    if (this.#timer === undefined || wanted < this.#tickMs) this.#start(wanted);
  }

  remove(participant: HeartbeatParticipant): void {
    this.#members.delete(participant);
  }

  get size(): number {
    return this.#members.size;
  }

  #start(tickMs: number): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#tickMs = tickMs;
    this.#timer = setInterval(() => this.#tick(), tickMs);
    this.#timer.unref();
  }

  #tick(): void {
    const now = Date.now();
    for (const member of this.#members) member.heartbeatTick(now);
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#members.clear();
  }
}
