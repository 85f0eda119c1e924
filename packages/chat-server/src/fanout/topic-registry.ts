import type { Broker, Logger, Message, Metrics, RoomEvent, UserEvent } from '@chorus/core';

/** A listener gets each event parsed once, with the payload it was parsed from. */
export type TopicListener<T> = (event: T, payload: string) => void;

/** What a kind of topic carries: every topic has one kind, whose parser all its listeners share. */
export interface TopicKind<T> {
  readonly name: string;
  /** The event in a payload, or null when the payload is malformed. */
  parse(payload: string): T | null;
  /**
   * For kinds whose events carry a seq: the payload's seq read without parsing it, or null
   * when it cannot be read that way (then the payload is parsed as usual).
   */
  peekSeq?(payload: string): number | null;
}

/**
 * The highest seq a listener has already seen on the topic: it ignores events at or below it
 * (a room channel drops the copy of a message this process stored and delivered already).
 */
export type SeenUpTo = () => number;

interface Slot {
  readonly kind: TopicKind<unknown>;
  readonly listeners: Set<TopicListener<unknown>>;
  /** The listeners that said what they have seen (listen's `seen`); see #allSeen. */
  readonly seen: Map<TopicListener<unknown>, SeenUpTo>;
  readonly upstream: Promise<() => Promise<void>>;
}

/**
 * The local subscriptions of this process to broker topics: one broker subscription per
 * topic (taken with the first listener, dropped with the last) and each payload parsed
 * once, whatever the number of listeners (room channels, unread counts, user queues and
 * room events all listen here).
 */
export class TopicRegistry {
  readonly #slots = new Map<string, Slot>();

  constructor(
    private readonly broker: Broker,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  /**
   * Resolves once the broker subscription is in place; rejects (unavailable) when it cannot be.
   * With `seen` (kinds with peekSeq only), a payload whose seq every listener has seen is dropped
   * unparsed: the listener must ignore every event with a seq at or below `seen()`.
   */
  async listen<T>(kind: TopicKind<T>, topic: string, listener: TopicListener<T>, seen?: SeenUpTo): Promise<() => void> {
    let slot = this.#slots.get(topic);
    if (!slot) {
      const listeners = new Set<TopicListener<unknown>>();
      const upstream = this.broker.subscribe(topic, (payload) => this.#deliver(created, payload, topic));
      const created: Slot = { kind, listeners, seen: new Map(), upstream };
      slot = created;
      this.#slots.set(topic, slot);
      upstream.catch(() => {
        if (this.#slots.get(topic) === created) this.#slots.delete(topic);
      });
    } else if (slot.kind !== kind) {
      throw new Error(`topic ${topic} carries ${slot.kind.name}, not ${kind.name}`);
    }
    const current = slot;
    const entry = listener as TopicListener<unknown>;
    current.listeners.add(entry);
    if (seen && kind.peekSeq) current.seen.set(entry, seen);
    try {
      await current.upstream;
    } catch (err) {
      current.listeners.delete(entry);
      current.seen.delete(entry);
      throw err;
    }
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      current.listeners.delete(entry);
      current.seen.delete(entry);
      if (current.listeners.size > 0 || this.#slots.get(topic) !== current) return;
      this.#slots.delete(topic);
      current.upstream
        .then((unsubscribe) => unsubscribe())
        .catch((err: unknown) => this.logger.debug({ err, topic }, 'upstream unsubscribe failed'));
    };
  }

  /** Delivers an event to this process's listeners only (no broker round trip). */
  deliverLocally<T>(topic: string, event: T): void {
    const slot = this.#slots.get(topic);
    if (slot) this.#deliverParsed(slot.listeners, event, JSON.stringify(event), topic);
  }

  close(): void {
    for (const [topic, slot] of this.#slots) {
      slot.listeners.clear();
      slot.upstream.then((unsubscribe) => unsubscribe()).catch(() => {});
      this.#slots.delete(topic);
    }
  }

  #deliver(slot: Slot, payload: string, topic: string): void {
    if (slot.listeners.size === 0 || this.#allSeen(slot, payload)) return;
    const event = slot.kind.parse(payload);
    if (event === null) {
      this.metrics.deliveryErrors.inc({ reason: 'bad_payload' });
      this.logger.warn({ topic, kind: slot.kind.name }, 'ignored a malformed event payload');
      return;
    }
    this.#deliverParsed(slot.listeners, event, payload, topic);
  }

  /** Whether every listener has seen the payload's seq (then none would act on it). */
  #allSeen(slot: Slot, payload: string): boolean {
    if (slot.seen.size !== slot.listeners.size) return false;
    const seq = slot.kind.peekSeq?.(payload) ?? null;
    if (seq === null) return false;
    for (const seen of slot.seen.values()) if (seq > seen()) return false;
    return true;
  }

  #deliverParsed(listeners: Set<TopicListener<unknown>>, event: unknown, payload: string, topic: string): void {
    // A Set visits what is added during the loop too; listeners are only added after an await, so not here.
    for (const listener of listeners) {
      try {
        listener(event, payload);
      } catch (err) {
        this.logger.error({ err, topic }, 'event listener threw');
      }
    }
  }
}

/** Parses a JSON object payload with a string `type`, or null. */
export function parseTypedEvent<T extends { type: string }>(payload: string): T | null {
  try {
    const value = JSON.parse(payload) as unknown;
    if (value === null || typeof value !== 'object' || typeof (value as { type?: unknown }).type !== 'string') return null;
    return value as T;
  } catch {
    return null;
  }
}

function parseMessage(payload: string): Message | null {
  try {
    const value = JSON.parse(payload) as Partial<Message> | null;
    if (!value || typeof value.seq !== 'number' || typeof value.roomId !== 'string' || !value.sender) return null;
    return value as Message;
  } catch {
    return null;
  }
}

/**
 * A stored message's JSON (ChatService.publish of toMessage's object) starts with its id, room id
 * and seq; ids are uuids, so nothing a user wrote comes before the seq.
 */
const MESSAGE_SEQ_PREFIX = /^\{"id":"[0-9a-f-]{36}","roomId":"[0-9a-f-]{36}","seq":(\d{1,15})[,}]/;

function peekMessageSeq(payload: string): number | null {
  const match = MESSAGE_SEQ_PREFIX.exec(payload);
  return match ? Number(match[1]) : null;
}

/** `topics.room(id)`: stored messages. */
export const ROOM_MESSAGES: TopicKind<Message> = { name: 'room messages', parse: parseMessage, peekSeq: peekMessageSeq };
/** `topics.user(id)`: the user's read positions, room changes and queue messages. */
export const USER_EVENTS: TopicKind<UserEvent> = { name: 'user events', parse: (payload) => parseTypedEvent<UserEvent>(payload) };
/** `topics.roomEvents(id)`: presence, typing and settings changes. */
export const ROOM_EVENTS: TopicKind<RoomEvent> = { name: 'room events', parse: (payload) => parseTypedEvent<RoomEvent>(payload) };
