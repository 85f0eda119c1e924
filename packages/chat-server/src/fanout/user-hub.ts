import { randomUUID } from 'node:crypto';
import { topics } from '@chorus/core';
import { encodeFrame } from '../protocol/codec/index.js';
import { userQueueDestination } from '../protocol/destinations.js';
import type { EventSubscriber } from './room-event-hub.js';
import { USER_EVENTS, type TopicRegistry } from './topic-registry.js';

/** Told of each room whose membership changed for the user it watches (see UserHub.watchRooms). */
export interface RoomsWatcher {
  roomsChanged(roomId: string): void;
}

interface RoomWatch {
  readonly watchers: Set<RoomsWatcher>;
  /** Settles with the topic listener in place (its stop function), or rejects when it could not be. */
  readonly listening: Promise<() => void>;
}

/**
 * `/user/queue/<name>` subscriptions of this process. Each user with a local
 * subscription holds one listener on `topics.user(userId)` (one broker
 * subscription per user per process), so a queue event published for the user
 * by any process reaches every session of that user, on every replica.
 */
export class UserHub {
  /** userId → queue → subscribers */
  readonly #queues = new Map<string, Map<string, Set<EventSubscriber>>>();
  /** userId → the watchers of the user's room memberships, and their shared topic listener. */
  readonly #roomWatches = new Map<string, RoomWatch>();

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
   * Has `watcher` told of each room the user joins, leaves or is added to, from any process (the
   * `rooms-changed` event ChatService publishes on every membership change), until unwatchRooms.
   * Resolves once those events reach it; rejects (unavailable) when the broker cannot subscribe.
   * Adding a watcher twice is harmless. The watchers of a user share one topic listener: every
   * session of a user that holds room subscriptions is watching, and idle servers hold many.
   */
  async watchRooms(userId: string, watcher: RoomsWatcher): Promise<void> {
    let watch = this.#roomWatches.get(userId);
    if (!watch) {
      const watchers = new Set<RoomsWatcher>();
      const listening = this.registry.listen(USER_EVENTS, topics.user(userId), (event) => {
        // Payloads from other processes are only shape-checked by type; the room id is checked here.
        if (event.type !== 'rooms-changed' || typeof event.roomId !== 'string') return;
        for (const each of watchers) each.roomsChanged(event.roomId);
      });
      const created: RoomWatch = { watchers, listening };
      watch = created;
      this.#roomWatches.set(userId, created);
      listening.catch(() => {
        if (this.#roomWatches.get(userId) === created) this.#roomWatches.delete(userId); // the next call tries again
      });
    }
    watch.watchers.add(watcher);
    try {
      await watch.listening;
    } catch (err) {
      watch.watchers.delete(watcher);
      throw err;
    }
  }

  /** Stops telling `watcher` of the user's membership changes (nothing happens if it was not watching). */
  unwatchRooms(userId: string, watcher: RoomsWatcher): void {
    const watch = this.#roomWatches.get(userId);
    if (!watch?.watchers.delete(watcher) || watch.watchers.size > 0) return;
    this.#roomWatches.delete(userId);
    void watch.listening.then(
      (stop) => stop(),
      () => {},
    );
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
    this.#roomWatches.clear();
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
