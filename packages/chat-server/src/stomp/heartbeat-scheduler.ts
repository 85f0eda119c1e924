/** A session whose heart-beats the scheduler drives. */
export interface HeartbeatParticipant {
  /**
   * Sends a due heart-beat and enforces the client's; `now` is one clock read per tick.
   * Returns when the participant next needs a look (on the scheduler's clock), or null when it is done.
   */
  heartbeatTick(now: number): number | null;
  /** The scheduler's bookkeeping: the wheel slot that holds the participant, -1 for none. */
  heartbeatSlot: number;
}

const MIN_TICK_MS = 25;
/** Ticks per shortest interval: a beat is then at most 1/TICKS_PER_INTERVAL of it late. */
const TICKS_PER_INTERVAL = 8;
/**
 * Slots of the wheel: 128 ticks of 500 ms cover 64 s, more than the intervals clients ask for;
 * a participant due later is looked at once per turn of the wheel and put back.
 */
const WHEEL_SLOTS = 128;

/**
 * The wheel slot of a tick, as a small integer whatever the tick: `%` of a tick held as a double
 * is a double, and a double kept in a participant's heartbeatSlot costs a 16-byte box per session.
 */
function slotOf(tick: number): number {
  return (tick % WHEEL_SLOTS) | 0;
}

/**
 * One timer for the heart-beats of every session in the process, instead of a timer per
 * session, and a timing wheel under it: each tick looks only at the sessions due in it, so an
 * idle session costs one look per heart-beat interval, not one per tick. With 100,000 idle
 * connections, 10 s intervals and 500 ms ticks that is 10,000 looks a second rather than 200,000.
 *
 * Beats follow the last write, not a fixed schedule: a session sends an EOL at the first
 * tick where its last write is at least `beatAfter(interval)` old. A session is filed under
 * the tick at or after the time it names, so that tick comes at most T later (T the tick);
 * `beatAfter` leaves a margin of 2T (one tick, plus one for timer and event-loop lateness),
 * so the gap between two writes stays under the interval. A write moves no entry in the
 * wheel: the session is looked at when its earlier deadline comes and names the new one.
 *
 * Sessions stamp their writes with `now`, a clock the tick refreshes, rather than reading
 * the system clock per frame on the fan-out path. It lags the real time by at most a tick,
 * which can only make a beat early, never late.
 */
export class HeartbeatScheduler {
  readonly #slots: Set<HeartbeatParticipant>[] = Array.from({ length: WHEEL_SLOTS }, () => new Set());
  #size = 0;
  #timer: NodeJS.Timeout | undefined;
  #tickMs = Infinity;
  /** The last tick handled: ticks are counted from the clock's start, `floor(time / tickMs)`. */
  #lastTick = 0;
  /** Where the clock starts, in ms since the epoch (see clock()). */
  readonly #origin = Date.now();
  #now = 0;

  /**
   * `maxTickMs` bounds the tick for long intervals: with 500 ms, a 10 s interval beats after
   * 9 s of silence (a tick of 1 s would beat after 8 s: 12% more beats on idle connections).
   */
  constructor(private readonly maxTickMs = 500) {}

  /** The time of the last tick on the scheduler's clock, refreshed at least every tick. */
  get now(): number {
    return this.#now;
  }

  /**
   * The time now on the scheduler's clock: ms since the scheduler was made, not since the epoch.
   * Sessions keep their last write and receipt on it, and V8 keeps a small integer in an object's
   * field as it is, where an epoch time costs a 16-byte box per field (times past 2^31 ms, after
   * 24 days, are boxed again, and just as correct). Math.floor makes the difference a small
   * integer: a subtraction of two doubles is a double even when whole.
   */
  clock(): number {
    return Math.floor(Date.now() - this.#origin);
  }

  /**
   * The tick a session with this shortest negotiated interval needs: `maxTickMs` halved until it
   * fits, so a client cannot make the wheel rebuild more than a few times by asking for one
   * slightly shorter interval after another.
   */
  tickFor(shortestIntervalMs: number): number {
    const wanted = Math.max(MIN_TICK_MS, Math.floor(shortestIntervalMs / TICKS_PER_INTERVAL));
    let tick = this.maxTickMs;
    while (tick > wanted && tick / 2 >= MIN_TICK_MS) tick /= 2;
    return tick;
  }

  /**
   * How long after its last write a session sending every `intervalMs` must beat.
   * Computed once per session (at CONNECTED) against the tick its interval asked for.
   */
  beatAfter(intervalMs: number): number {
    return Math.max(1, intervalMs - 2 * this.tickFor(intervalMs));
  }

  /** Starts driving a participant: it is first looked at on the next tick. */
  add(participant: HeartbeatParticipant, shortestIntervalMs: number): void {
    this.#now = this.clock();
    const wanted = this.tickFor(shortestIntervalMs);
    if (this.#timer === undefined || wanted < this.#tickMs) this.#start(wanted);
    if (participant.heartbeatSlot === -1) this.#size++;
    this.#file(participant, this.#now);
  }

  remove(participant: HeartbeatParticipant): void {
    const slot = participant.heartbeatSlot;
    if (slot === -1) return;
    this.#slots[slot]!.delete(participant);
    participant.heartbeatSlot = -1;
    this.#size--;
  }

  get size(): number {
    return this.#size;
  }

  /** Files a participant under the tick at or after `dueAt`, and never under the tick being handled. */
  #file(participant: HeartbeatParticipant, dueAt: number): void {
    const tick = Math.max(Math.ceil(dueAt / this.#tickMs), this.#lastTick + 1);
    const slot = slotOf(tick);
    const current = participant.heartbeatSlot;
    if (current === slot) return;
    if (current !== -1) this.#slots[current]!.delete(participant);
    this.#slots[slot]!.add(participant);
    participant.heartbeatSlot = slot;
  }

  #start(tickMs: number): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#tickMs = tickMs;
    this.#lastTick = Math.floor(this.clock() / tickMs);
    // The slots' times depend on the tick: everyone is looked at again on the next one.
    const everyone = this.#slots.flatMap((slot) => [...slot]);
    for (const slot of this.#slots) slot.clear();
    for (const participant of everyone) {
      participant.heartbeatSlot = -1;
      this.#file(participant, 0);
    }
    this.#timer = setInterval(() => this.#tick(), tickMs);
    this.#timer.unref();
  }

  #tick(): void {
    const now = (this.#now = this.clock());
    const until = Math.floor(now / this.#tickMs);
    // A late timer (a busy event loop) catches up on the ticks it missed, at most one turn of the wheel.
    const from = Math.max(this.#lastTick + 1, until - WHEEL_SLOTS + 1);
    for (let tick = from; tick <= until; tick++) {
      this.#lastTick = tick;
      const slot = slotOf(tick);
      const due = this.#slots[slot]!;
      if (due.size === 0) continue;
      // Refiled participants go to later ticks, so the slot in hand is replaced, not grown.
      this.#slots[slot] = new Set();
      for (const participant of due) {
        if (participant.heartbeatSlot !== slot) continue; // removed while this slot was handled
        participant.heartbeatSlot = -1;
        const next = participant.heartbeatTick(now);
        if (next === null) this.#size--;
        else this.#file(participant, next);
      }
    }
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const slot of this.#slots) {
      for (const participant of slot) participant.heartbeatSlot = -1;
      slot.clear();
    }
    this.#size = 0;
  }
}
