import type { Message, Metrics, Logger, Store } from '@chorus/core';
import { encodeFrame, PreparedMessage } from '../protocol/codec/index.js';
import { roomTopicDestination } from '../protocol/destinations.js';

/** One local subscription to a room, as the fan-out sees it. */
export interface RoomSubscriber {
  /** The STOMP subscription id (the only per-client part of a MESSAGE frame). */
  readonly subscriptionId: string;
  /**
   * Writes an encoded frame to the client (never throws; handles back-pressure itself).
   * `replay` frames are the bounded burst of a `since` replay (at most REPLAY_LIMIT
   * messages, plus what arrived meanwhile): they do not count against the
   * slow-consumer bound, which applies again to the live frames after them.
   */
  send(frame: Buffer, replay?: boolean): void;
  /** The subscription cannot continue (e.g. replay failed); the session tells the client. */
  fail(reason: string): void;
  /** The subscribing user; their own 'leave' message ends the subscription. */
  readonly userId?: string;
  /** The user left the room: this subscription got the leave message and nothing more. */
  revoke?(): void;
}

/** A subscriber's place in a channel (what `add` returns and `remove` takes). */
export interface ChannelEntry {
  readonly subscriber: RoomSubscriber;
}

/** A live message held back while the channel initialises or backfills. */
interface Held {
  readonly message: Message;
  readonly payload: string;
}

/** How a channel takes its room's broker subscription: `handler` gets each message, parsed once, with its payload. */
export type SubscribeUpstream = (handler: (message: Message, payload: string) => void) => Promise<void>;

interface Entry extends ChannelEntry {
  readonly channel: RoomChannel;
  /** Live frames held back while this subscriber's replay runs; null once live. */
  pending: Buffer[] | null;
  /** Messages with seq <= this were already given to the client (its `since`). */
  after: number;
}

const BACKFILL_PAGE = 500;
const MAX_HELD_PAYLOADS = 10_000;
const BACKFILL_RETRY_MS = 1000;

/**
 * The fan-out of one room in this process. It receives the room's broker
 * payloads and writes each message exactly once, in seq order and without
 * holes, to every local subscriber:
 * - a payload whose seq is already delivered is a duplicate and is dropped;
 * - a payload that skips seqs means pub/sub lost or reordered something: the
 *   missing range is read from the store (which always holds every seq below a
 *   published one, since seqs are assigned under the room's row lock and
 *   published after commit) before anything newer is delivered;
 * - each message is encoded once; only the subscription header differs per client.
 */
export class RoomChannel {
  readonly destination: string;
  readonly #entries = new Set<Entry>();
  /** Highest seq delivered by this process; everything <= it went out in order. */
  #lastSeq = 0;
  /** While initialising or backfilling, live messages are held here in arrival order. */
  #held: Held[] | null = [];
  /** Highest seq seen while payloads could not be held (beyond MAX_HELD_PAYLOADS). */
  #overflowTarget = 0;
  #closed = false;
  #retryTimer: NodeJS.Timeout | undefined;
  readonly ready: Promise<void>;

  constructor(
    readonly roomId: string,
    private readonly store: Store,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly replayLimit: number,
    subscribeUpstream: SubscribeUpstream,
  ) {
    this.destination = roomTopicDestination(roomId);
    this.ready = this.#init(subscribeUpstream);
  }

  get size(): number {
    return this.#entries.size;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  async #init(subscribeUpstream: SubscribeUpstream): Promise<void> {
    // Subscribe first, then read the position: anything published in between is
    // held and either dropped as a duplicate or delivered after the position.
    await subscribeUpstream((message, payload) => this.receive(message, payload));
    const last = await this.store.lastSeq(this.roomId);
    this.#lastSeq = last ?? 0;
    this.#drainHeld();
  }

  /**
   * A message for this room, with its JSON (`payload`, as published): from the broker, or
   * stored by this process. Neither is parsed or encoded again here.
   */
  receive(message: Message, payload: string): void {
    if (this.#closed) return;
    if (this.#held !== null) {
      this.#hold(message, payload);
      return;
    }
    this.#process(message, payload);
  }

  #hold(message: Message, payload: string): void {
    const held = this.#held!;
    if (held.length < MAX_HELD_PAYLOADS) {
      held.push({ message, payload });
    } else {
      this.#overflowTarget = Math.max(this.#overflowTarget, message.seq);
    }
  }

  #process(message: Message, payload: string): void {
    const seq = message.seq;
    if (!(seq > this.#lastSeq)) return; // duplicate (or replayed by a backfill already)
    if (seq === this.#lastSeq + 1) {
      this.#fanOut(message, payload);
      return;
    }
    // Gap: hold this message and fetch what is missing from the store first.
    this.#held = [{ message, payload }];
    void this.#backfill(seq - 1, 'gap');
  }

  #fanOut(message: Message, payload: string): void {
    this.#lastSeq = message.seq;
    if (this.#entries.size === 0) return;
    const prepared = new PreparedMessage(this.destination, message.id, payload);
    let delivered = 0;
    for (const entry of this.#entries) {
      if (message.seq <= entry.after) continue;
      const frame = prepared.forSubscription(entry.subscriber.subscriptionId);
      if (entry.pending !== null) entry.pending.push(frame);
      else {
        entry.subscriber.send(frame);
        delivered++;
      }
    }
    this.metrics.deliveries.inc(delivered);
    const createdAt = Date.parse(message.createdAt);
    if (createdAt > 0) this.metrics.fanoutLatency.observe(Math.max(0, Date.now() - createdAt) / 1000);
    if (message.type === 'leave') this.#revoke(message.sender.id);
  }

  /** A subscription lives no longer than the membership it was granted for. */
  #revoke(userId: string): void {
    for (const entry of [...this.#entries]) {
      if (entry.subscriber.userId !== userId) continue;
      this.#entries.delete(entry);
      entry.subscriber.revoke?.();
    }
  }

  /** Reads (lastSeq, target] from the store and fans it out, then resumes live delivery. */
  async #backfill(target: number, reason: 'gap' | 'reconnect'): Promise<void> {
    try {
      while (this.#lastSeq < target && !this.#closed) {
        const page = await this.store.listMessages(this.roomId, { after: this.#lastSeq, limit: BACKFILL_PAGE });
        if (page.length === 0) break;
        this.metrics.backfills.inc({ reason }, page.length);
        for (const message of page) {
          if (message.seq === this.#lastSeq + 1) this.#fanOut(message, JSON.stringify(message));
        }
      }
    } catch (err) {
      this.metrics.deliveryErrors.inc({ reason: 'backfill_failed' });
      this.logger.warn({ err, roomId: this.roomId }, 'backfill failed; retrying');
      this.#retryTimer = setTimeout(() => void this.#backfill(target, reason), BACKFILL_RETRY_MS);
      this.#retryTimer.unref();
      return;
    }
    this.#drainHeld();
  }

  #drainHeld(): void {
    const held = this.#held ?? [];
    const overflow = this.#overflowTarget;
    this.#held = null;
    this.#overflowTarget = 0;
    for (let i = 0; i < held.length; i++) {
      this.#process(held[i]!.message, held[i]!.payload);
      if (this.#held !== null) {
        // A gap started another backfill: keep the rest behind it, in order.
        for (let j = i + 1; j < held.length; j++) this.#hold(held[j]!.message, held[j]!.payload);
        this.#overflowTarget = Math.max(this.#overflowTarget, overflow);
        return;
      }
    }
    if (overflow > this.#lastSeq) {
      this.#held = [];
      void this.#backfill(overflow, 'gap');
    }
  }

  /** After a broker reconnect: deliver whatever was stored while pub/sub was away. */
  async reconcile(): Promise<void> {
    await this.ready;
    if (this.#held !== null || this.#closed) return; // a backfill is already running
    const last = await this.store.lastSeq(this.roomId);
    if (last !== null && last > this.#lastSeq) {
      this.#held = [];
      await this.#backfill(last, 'reconnect');
    }
  }

  /**
   * Adds a subscriber. With `since`, it first receives every stored message with
   * seq > since (at most replayLimit of the newest; the first replayed frame then
   * carries `replay-truncated:true`), then live ones: no gap, no duplicate.
   */
  async add(subscriber: RoomSubscriber, since: number | undefined): Promise<ChannelEntry> {
    await this.ready;
    const entry: Entry = { channel: this, subscriber, pending: since === undefined ? null : [], after: since ?? 0 };
    this.#entries.add(entry);
    if (since === undefined) return entry;

    const upTo = this.#lastSeq; // <= upTo comes from the store, > upTo from live delivery
    try {
      if (since < upTo) {
        const from = Math.max(since, upTo - this.replayLimit);
        const messages = await this.store.listMessages(this.roomId, { after: from, limit: upTo - from });
        this.metrics.backfills.inc({ reason: 'replay' }, messages.length);
        let first = true;
        for (const message of messages) {
          if (message.seq > upTo) break;
          const headers: Record<string, string> = {
            destination: this.destination,
            'message-id': message.id,
            subscription: subscriber.subscriptionId,
            'content-type': 'application/json',
          };
          if (first && from > since) {
            headers['replay-truncated'] = 'true';
            headers['replay-from'] = String(from + 1);
          }
          first = false;
          subscriber.send(encodeFrame('MESSAGE', headers, JSON.stringify(message)), true);
        }
      }
    } catch (err) {
      this.#entries.delete(entry);
      this.logger.warn({ err, roomId: this.roomId }, 'replay failed');
      subscriber.fail('could not replay history: storage unavailable');
      return entry;
    }
    const pending = entry.pending!;
    entry.pending = null;
    for (const frame of pending) subscriber.send(frame, true);
    return entry;
  }

  /** Whether `entry` was added to this channel (it may since have been removed). */
  owns(entry: ChannelEntry): boolean {
    return (entry as Entry).channel === this;
  }

  /** Takes a subscriber out (nothing happens when it was already removed or revoked). */
  remove(entry: ChannelEntry): void {
    this.#entries.delete(entry as Entry);
  }

  close(): void {
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#entries.clear();
  }
}
