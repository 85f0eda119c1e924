import { randomUUID } from 'node:crypto';
import { topics, type Broker, type Logger, type RoomEvent } from '@chorus/core';
import { PreparedMessage } from '../protocol/codec/index.js';
import { roomEventsDestination, type PresenceEvent, type RoomSettingsEvent, type TypingEvent } from '../protocol/destinations.js';
import { ROOM_EVENTS, type TopicRegistry } from './topic-registry.js';

/** A local subscription to a room's presence, typing or settings events. */
export interface EventSubscriber {
  readonly subscriptionId: string;
  send(frame: Buffer): void;
}

/**
 * Ephemeral room events (presence, typing, settings changes) of this process: one
 * broker subscription per room, each event encoded once per process and written to
 * the subscribers of `/topic/rooms/<id>/presence`, `/typing` or `/settings`.
 */
export class RoomEventHub {
  /** The last payload's prepared frame, shared by every local subscriber of it. */
  #last: { payload: string; destination: string; prepared: PreparedMessage } | null = null;

  constructor(
    private readonly broker: Broker,
    private readonly registry: TopicRegistry,
    private readonly logger: Logger,
  ) {}

  async subscribe(roomId: string, type: RoomEvent['type'], subscriber: EventSubscriber): Promise<() => void> {
    const destination = roomEventsDestination(roomId, type);
    return this.registry.listen(ROOM_EVENTS, topics.roomEvents(roomId), (event, payload) => {
      if (event.type !== type || event.roomId !== roomId) return;
      subscriber.send(this.#prepare(payload, destination).forSubscription(subscriber.subscriptionId));
    });
  }

  /**
   * Publishes an event to every replica; never throws. When the broker is down,
   * this process's own subscribers still get it (ephemeral events are not replayed).
   */
  async publish(event: RoomEvent): Promise<void> {
    try {
      await this.broker.publish(topics.roomEvents(event.roomId), JSON.stringify(event satisfies PresenceEvent | TypingEvent | RoomSettingsEvent));
    } catch (err) {
      this.logger.debug({ err, roomId: event.roomId, type: event.type }, 'room event publish failed; delivering locally only');
      this.registry.deliverLocally(topics.roomEvents(event.roomId), event);
    }
  }

  #prepare(payload: string, destination: string): PreparedMessage {
    if (this.#last?.payload === payload && this.#last.destination === destination) return this.#last.prepared;
    const prepared = new PreparedMessage(destination, randomUUID(), payload);
    this.#last = { payload, destination, prepared };
    return prepared;
  }
}
