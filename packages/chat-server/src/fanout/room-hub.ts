import { topics, type Broker, type Logger, type Message, type Metrics, type Store } from '@chorus/core';
import { ownString } from '../util/own-string.js';
import { RoomChannel, type ChannelEntry, type RoomSubscriber } from './room-channel.js';
import { ROOM_MESSAGES, type TopicRegistry } from './topic-registry.js';

interface ChannelSlot {
  channel: RoomChannel;
  /** Ends the channel's listening on the room topic (set once it listens). */
  stopListening: (() => void) | undefined;
}

/**
 * All room channels of this process: one listener on the room's topic in the
 * TopicRegistry per room with local subscribers (never one per client), created
 * with the first subscriber and dropped with the last.
 */
export class RoomHub {
  readonly #slots = new Map<string, ChannelSlot>();
  readonly #offReconnect: () => void;

  constructor(
    broker: Broker,
    private readonly registry: TopicRegistry,
    private readonly store: Store,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly replayLimit: number,
  ) {
    this.#offReconnect = broker.onReconnect(() => {
      this.logger.info({ rooms: this.#slots.size }, 'broker reconnected; reconciling rooms from the store');
      void this.reconcileAll();
    });
  }

  /** Delivers whatever was stored but not received over pub/sub, in every local room. */
  async reconcileAll(): Promise<void> {
    await Promise.all(
      [...this.#slots.values()].map(({ channel }) =>
        channel.reconcile().catch((err: unknown) => this.logger.warn({ err, roomId: channel.roomId }, 'reconcile failed')),
      ),
    );
  }

  /**
   * A message stored by this process, delivered to its local subscribers without
   * waiting for (or depending on) the broker; the copy that arrives over pub/sub
   * is dropped by the channel's seq check. `payload` is the message's JSON as published.
   */
  deliverLocal(message: Message, payload: string): void {
    this.#slots.get(message.roomId)?.channel.receive(message, payload);
  }

  /**
   * The id string to keep for the room: the one this process already holds (one copy per room,
   * not per subscriber), or a copy of `roomId`, which may be a slice of a frame's header text.
   */
  sharedRoomId(roomId: string): string {
    return this.#slots.get(roomId)?.channel.roomId ?? ownString(roomId);
  }

  get roomCount(): number {
    return this.#slots.size;
  }

  /** Adds a subscriber to the room's channel (creating it); `unsubscribe` with the entry takes it out. */
  async subscribe(roomId: string, subscriber: RoomSubscriber, since?: number): Promise<ChannelEntry> {
    let slot = this.#slots.get(roomId);
    if (!slot) {
      const newSlot: ChannelSlot = { channel: undefined as unknown as RoomChannel, stopListening: undefined };
      newSlot.channel = new RoomChannel(roomId, this.store, this.metrics, this.logger, this.replayLimit, async (handler) => {
        // The copy of a message this process stored (delivered already by deliverLocal) is dropped unparsed.
        const stop = await this.registry.listen(ROOM_MESSAGES, topics.room(roomId), handler, () => newSlot.channel.lastSeq);
        // Dropped while the broker subscription was being taken: let it go at once.
        if (this.#slots.get(roomId) === newSlot) newSlot.stopListening = stop;
        else stop();
      });
      slot = newSlot;
      this.#slots.set(roomId, slot);
      this.metrics.roomsActive.set(this.#slots.size);
      slot.channel.ready.catch(() => this.#drop(roomId, newSlot));
    }
    const current = slot;
    try {
      return await current.channel.add(subscriber, since);
    } catch (err) {
      if (current.channel.size === 0) this.#drop(roomId, current);
      throw err;
    }
  }

  /** Takes a subscriber out of the room's channel; the channel goes with its last subscriber. */
  unsubscribe(roomId: string, entry: ChannelEntry): void {
    const slot = this.#slots.get(roomId);
    // A channel created after the entry's was dropped is not this entry's to empty.
    if (!slot || !slot.channel.owns(entry)) return;
    slot.channel.remove(entry);
    if (slot.channel.size === 0) this.#drop(roomId, slot);
  }

  #drop(roomId: string, slot: ChannelSlot): void {
    if (this.#slots.get(roomId) !== slot) return;
    this.#slots.delete(roomId);
    this.metrics.roomsActive.set(this.#slots.size);
    slot.channel.close();
    slot.stopListening?.();
  }

  close(): void {
    this.#offReconnect();
    for (const [roomId, slot] of this.#slots) this.#drop(roomId, slot);
  }
}
