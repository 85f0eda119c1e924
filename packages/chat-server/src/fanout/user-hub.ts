import { randomUUID } from 'node:crypto';
import { topics } from '@chorus/core';
import { encodeFrame } from '../protocol/codec/index.js';
import { userQueueDestination } from '../protocol/destinations.js';
import type { EventSubscriber } from './room-event-hub.js';
import { USER_EVENTS, type TopicRegistry } from './topic-registry.js';

/**
 * `/user/queue/<name>` subscriptions of this process. Each user with a local
 * subscription holds one listener on `topics.user(userId)` (one broker
 * subscription per user per process), so a queue event published for the user
 * by any process reaches every session of that user, on every replica.
 */
export class UserHub {
  /** userId → queue → subscribers */
  readonly #queues = new Map<string, Map<string, Set<EventSubscriber>>>();

  constructor(private readonly registry: TopicRegistry) {}

  async subscribe(userId: string, queue: string, subscriber: EventSubscriber): Promise<() => void> {
    const stopListening = await this.registry.listen(USER_EVENTS, topics.user(userId), (event) => {
      if (event.type === 'queue' && event.queue === queue) this.#send(subscriber, queue, JSON.stringify(event.body));
    });
    let byQueue = this.#queues.get(userId);
    if (!byQueue) {
      byQueue = new Map();
      this.#queues.set(userId, byQueue);
    }
    let subscribers = byQueue.get(queue);
    if (!subscribers) {
      subscribers = new Set();
      byQueue.set(queue, subscribers);
    }
    subscribers.add(subscriber);
    return () => {
      stopListening();
      subscribers.delete(subscriber);
      if (subscribers.size === 0) byQueue.delete(queue);
      if (byQueue.size === 0) this.#queues.delete(userId);
    };
  }

  /**
   * Calls `listener` with the room whenever the user joins, leaves or is added to a room, from
   * any process (the `rooms-changed` event ChatService publishes on every membership change).
   */
  async onRoomsChanged(userId: string, listener: (roomId: string) => void): Promise<() => void> {
    return this.registry.listen(USER_EVENTS, topics.user(userId), (event) => {
      // Payloads from other processes are only shape-checked by type; the room id is checked here.
      if (event.type === 'rooms-changed' && typeof event.roomId === 'string') listener(event.roomId);
    });
  }

  hasSubscribers(userId: string, queue: string): boolean {
    return (this.#queues.get(userId)?.get(queue)?.size ?? 0) > 0;
  }

  /** Sends to this process's subscribers of the user's queue only. */
  deliverLocally(userId: string, queue: string, body: unknown): void {
    const subscribers = this.#queues.get(userId)?.get(queue);
    if (!subscribers || subscribers.size === 0) return;
    const json = JSON.stringify(body);
    for (const subscriber of subscribers) this.#send(subscriber, queue, json);
  }

  close(): void {
    this.#queues.clear();
  }

  #send(subscriber: EventSubscriber, queue: string, body: string): void {
    subscriber.send(
      encodeFrame(
        'MESSAGE',
        {
          destination: userQueueDestination(queue),
          'message-id': randomUUID(),
          subscription: subscriber.subscriptionId,
          'content-type': 'application/json',
        },
        body,
      ),
    );
  }
}
