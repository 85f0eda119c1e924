import { topics, type Logger, type Message, type Store, type UserEvent } from '@chorus/core';
import { UNREAD_QUEUE, type UnreadUpdate } from '../protocol/destinations.js';
import type { PresenceTracker } from '../presence/presence-tracker.js';
import { ROOM_MESSAGES, USER_EVENTS, type TopicRegistry } from './topic-registry.js';
import type { UserHub } from './user-hub.js';

interface RoomPosition {
  lastSeq: number;
  lastReadSeq: number;
  /**
   * Edit/delete entries after lastReadSeq (in the seq range but never unread): the seqs of those
   * seen live (at most MAX_SKIPPED_SEQS), plus a count of others, all at or before `olderUpTo`
   * (from the store when tracking started, or folded in when the list was full).
   */
  skippedSeqs: number[];
  olderSkipped: number;
  olderUpTo: number;
  stop: () => void;
  /** Seqs of unread messages mentioning the user seen live (at most MAX_SKIPPED_SEQS), plus older ones from the store. */
  mentionSeqs: number[];
  olderMentions: number;
}

const MAX_SKIPPED_SEQS = 256;

function skippedOf(position: RoomPosition): number {
  return position.olderSkipped + position.skippedSeqs.length;
}

/** The read position moved: entries at or before it no longer count as skipped. */
function readUpTo(position: RoomPosition): void {
  const read = position.lastReadSeq;
  position.skippedSeqs = position.skippedSeqs.filter((seq) => seq > read);
  // Where the older ones lie is not kept: those past `read` are at most the seqs up to olderUpTo.
  position.olderSkipped = read >= position.olderUpTo ? 0 : Math.min(position.olderSkipped, position.olderUpTo - read);
  // Mentions: reading the room clears them (older ones counted by the store lie at or before olderUpTo).
  position.mentionSeqs = position.mentionSeqs.filter((seq) => seq > read);
  if (read >= position.olderUpTo) position.olderMentions = 0;
}

interface TrackedUser {
  refs: number;
  rooms: Map<string, RoomPosition>;
  stopEvents: (() => void) | undefined;
  loading: Promise<void>;
}

/**
 * Unread counts for the users of this process that subscribe to
 * `/user/queue/unread`. Each process computes them for its own sessions from
 * what it already receives (the room topics, read positions published as user
 * events), so a stored message costs no query per member: the room list is read
 * once per tracked user, when tracking starts and when their rooms change.
 * Rooms the user is viewing on this process get no update (the room
 * subscription itself shows the message).
 */
export class UnreadTracker {
  readonly #users = new Map<string, TrackedUser>();

  constructor(
    private readonly registry: TopicRegistry,
    private readonly store: Store,
    private readonly userHub: UserHub,
    private readonly presenceTracker: PresenceTracker,
    private readonly logger: Logger,
  ) {}

  /** Starts (or shares) tracking of the user; the returned function stops it. */
  async track(userId: string): Promise<() => void> {
    let user = this.#users.get(userId);
    if (!user) {
      const created: TrackedUser = { refs: 0, rooms: new Map(), stopEvents: undefined, loading: Promise.resolve() };
      created.loading = this.#start(userId, created);
      this.#users.set(userId, created);
      user = created;
    }
    const tracked = user;
    tracked.refs++;
    try {
      await tracked.loading;
    } catch (err) {
      this.#release(userId, tracked);
      throw err;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#release(userId, tracked);
    };
  }

  close(): void {
    for (const [userId, user] of this.#users) this.#stop(userId, user);
  }

  async #start(userId: string, user: TrackedUser): Promise<void> {
    user.stopEvents = await this.registry.listen(USER_EVENTS, topics.user(userId), (event) => this.#onUserEvent(userId, user, event));
    await this.#loadRooms(userId, user);
  }

  async #loadRooms(userId: string, user: TrackedUser): Promise<void> {
    const rooms = await this.store.listMemberRooms(userId);
    const current = new Set(rooms.map((r) => r.id));
    for (const [roomId, position] of user.rooms) {
      if (current.has(roomId)) continue;
      position.stop();
      user.rooms.delete(roomId);
    }
    for (const room of rooms) {
      const known = user.rooms.get(room.id);
      if (known) {
        known.lastReadSeq = Math.max(known.lastReadSeq, room.lastReadSeq);
        known.lastSeq = Math.max(known.lastSeq, room.lastSeq);
        readUpTo(known);
        continue;
      }
      const olderSkipped = Math.max(0, room.lastSeq - room.lastReadSeq - room.unread);
      const position: RoomPosition = { lastSeq: room.lastSeq, lastReadSeq: room.lastReadSeq, skippedSeqs: [], olderSkipped, olderUpTo: room.lastSeq, stop: () => {}, mentionSeqs: [], olderMentions: room.mentions };
      user.rooms.set(room.id, position);
      position.stop = await this.registry.listen(ROOM_MESSAGES, topics.room(room.id), (message) => this.#onMessage(userId, position, message), () => position.lastSeq);
      if (this.#users.get(userId) !== user) position.stop(); // released while loading
    }
  }

  #onMessage(userId: string, position: RoomPosition, message: Message): void {
    if (message.seq <= position.lastSeq) return;
    position.lastSeq = message.seq;
    // Edits and deletes change nothing unread (the room subscription shows them).
    if (message.type === 'edit' || message.type === 'delete' || message.type === 'reaction') {
      position.skippedSeqs.push(message.seq);
      if (position.skippedSeqs.length > MAX_SKIPPED_SEQS) {
        position.olderSkipped++;
        position.olderUpTo = Math.max(position.olderUpTo, position.skippedSeqs.shift()!);
      }
      // An edit's mentions are the members it mentions for the first time: counted at its seq.
      if (message.type !== 'edit' || !message.mentions?.includes(userId)) return;
      if (position.mentionSeqs.length < MAX_SKIPPED_SEQS) position.mentionSeqs.push(message.seq);
      if (!this.presenceTracker.isViewing(userId, message.roomId)) this.#send(userId, message.roomId, position);
      return;
    }
    if (message.mentions?.includes(userId) && position.mentionSeqs.length < MAX_SKIPPED_SEQS) position.mentionSeqs.push(message.seq);
    if (message.sender.id === userId || this.presenceTracker.isViewing(userId, message.roomId)) return;
    this.#send(userId, message.roomId, position);
  }

  #onUserEvent(userId: string, user: TrackedUser, event: UserEvent): void {
    if (event.type === 'read') {
      const position = user.rooms.get(event.roomId);
      if (!position || event.lastReadSeq <= position.lastReadSeq) return;
      position.lastReadSeq = event.lastReadSeq;
      position.lastSeq = Math.max(position.lastSeq, event.lastReadSeq);
      readUpTo(position);
      this.#send(userId, event.roomId, position);
    } else if (event.type === 'rooms-changed') {
      this.#loadRooms(userId, user).then(
        () => {
          // Tells the client the room changed for them (added, promoted, demoted, handed the room):
          // it refetches its room list and its standing there.
          const position = user.rooms.get(event.roomId);
          if (position && this.#users.get(userId) === user) this.#send(userId, event.roomId, position);
        },
        (err: unknown) => this.logger.warn({ err, userId }, 'could not reload rooms for unread counts'),
      );
    }
  }

  #send(userId: string, roomId: string, position: RoomPosition): void {
    const update: UnreadUpdate = {
      roomId,
      lastSeq: position.lastSeq,
      unread: Math.max(0, position.lastSeq - position.lastReadSeq - skippedOf(position)),
      mentions: position.olderMentions + position.mentionSeqs.length,
    };
    this.userHub.deliverLocally(userId, UNREAD_QUEUE, update);
  }

  #release(userId: string, user: TrackedUser): void {
    if (--user.refs > 0) return;
    this.#stop(userId, user);
  }

  #stop(userId: string, user: TrackedUser): void {
    if (this.#users.get(userId) === user) this.#users.delete(userId);
    user.stopEvents?.();
    for (const position of user.rooms.values()) position.stop();
    user.rooms.clear();
  }
}
