import type { Broker } from '../broker/broker.js';
import { topics } from '../broker/topics.js';
import type { MemberRoom, Message, Page, ReactionCount, Room, RoomMute, UserSettings } from '../domain/types.js';
import { badRequest, ChorusError, conflict, forbidden, notFound } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { HistoryQuery, NewLifecycleEvent, NewMemberMessage, Store } from '../store/store.js';
import { checkMayWriteDirect, hideBlockedPeer, refuseDirectMembershipChange } from './direct-rules.js';
import type { RoomEvent, UserEvent } from './events.js';
import { KeyedGroupCommit } from './group-commit.js';
import { mayDeleteMessage, sendRefusal } from './room-rules.js';
import { RoomAccessReads } from './room-access-reads.js';
import { checkNoBidiControls, checkStorableText, validateMessageText } from './text.js';
import { MAX_MENTIONS_PER_MESSAGE, parseMentions } from './mentions.js';
import { MAX_REACTIONS_PER_MESSAGE, MAX_REACTIONS_PER_USER, validateEmoji } from './reactions.js';

/**
 * Group commit sizing. A batch of 512 short messages is one statement of a few
 * milliseconds. Under write load two commits in flight keep the database busy while
 * the next batch forms; a second one starts only for a batch of at least
 * appendMinConcurrentBatch sends (default 16), so a light, steady load shares one statement
 * instead of paying one per send (docs/benchmarks.md, session 11).
 */
const APPEND_BATCH_MAX = 512;
const APPEND_COMMITS_IN_FLIGHT_DEFAULT = 2;
const APPEND_MIN_CONCURRENT_BATCH_DEFAULT = 16;

export interface Actor {
  id: string;
  username: string;
}

export type SendSource = 'stomp' | 'http';

/** Told of every message this process stores: the message and its JSON as published. */
export type StoredListener = (message: Message, payload: string) => void;

export interface ChatServiceOptions {
  store: Store;
  broker: Broker;
  metrics: Metrics;
  logger: Logger;
  maxMessageLength: number;
  /** Attachments one message may carry (MAX_ATTACHMENTS_PER_MESSAGE); default 10. */
  maxAttachmentsPerMessage?: number;
  /** Seconds after sending during which the sender may edit (MESSAGE_EDIT_WINDOW_SECONDS); default 900. */
  messageEditWindowSeconds?: number;
  /** Most commits of sends in flight at once (a room never has two); default 2. */
  appendCommitsInFlight?: number;
  /** Sends a commit must carry to start while another is in flight; default 16. */
  appendMinConcurrentBatch?: number;
  /** Milliseconds a send that finds no commit in flight waits for others before it commits; default 0. */
  appendLingerMs?: number;
}

/** What one send carries: text (may be empty when there are attachments) and attachment ids. */
export interface SendContent {
  text: unknown;
  attachments?: unknown;
  /** The id of a text message of the same room that this one answers. */
  replyTo?: unknown;
}

/**
 * The application layer shared by REST and STOMP: every rule about who may do
 * what to a room lives here, and every stored message is published from here,
 * so an HTTP send and a STOMP SEND take exactly the same path.
 */
export class ChatService {
  readonly #store: Store;
  readonly #broker: Broker;
  readonly #metrics: Metrics;
  readonly #logger: Logger;
  readonly #maxLength: number;
  readonly #maxAttachments: number;
  readonly #editWindowMs: number;
  readonly #storedListeners = new Set<StoredListener>();
  /** Every text message this process stores goes through here: one statement per batch. */
  readonly #appends: KeyedGroupCommit<NewMemberMessage, Message | null>;
  /** Every room access check: concurrent ones share a query. */
  readonly #access: RoomAccessReads;

  constructor(options: ChatServiceOptions) {
    this.#store = options.store;
    this.#broker = options.broker;
    this.#metrics = options.metrics;
    this.#logger = options.logger;
    this.#maxLength = options.maxMessageLength;
    this.#maxAttachments = options.maxAttachmentsPerMessage ?? 10;
    this.#editWindowMs = (options.messageEditWindowSeconds ?? 900) * 1000;
    this.#access = new RoomAccessReads(this.#store);
    this.#appends = new KeyedGroupCommit({
      commit: async (inputs) => {
        const started = performance.now();
        try {
          return await this.#store.appendMemberMessages(inputs);
        } finally {
          this.#metrics.appendCommitDuration.observe((performance.now() - started) / 1000);
        }
      },
      maxBatch: APPEND_BATCH_MAX,
      maxInFlight: options.appendCommitsInFlight ?? APPEND_COMMITS_IN_FLIGHT_DEFAULT,
      minConcurrentBatch: options.appendMinConcurrentBatch ?? APPEND_MIN_CONCURRENT_BATCH_DEFAULT,
      keyOf: (inputs) => inputs[0]!.roomId,
      isolate: (err) => !(err instanceof ChorusError && err.code === 'unavailable'),
      onBatch: (size) => this.#metrics.appendBatchSize.observe(size),
      lingerMs: options.appendLingerMs ?? 0,
    });
  }

  /**
   * Runs `listener` for every message this process stores, right after it is
   * published. The chat-server delivers them to its own subscribers this way, so
   * local delivery does not depend on the broker (its per-room seq check drops
   * the copy that arrives over pub/sub). `payload` is the message's JSON as published,
   * so a listener need not encode it again.
   */
  onStored(listener: StoredListener): () => void {
    this.#storedListeners.add(listener);
    return () => this.#storedListeners.delete(listener);
  }

  get maxMessageLength(): number {
    return this.#maxLength;
  }

  /**
   * Validates, stores and publishes a text message. Resolves only once it is stored.
   * `text` may be a SendContent carrying attachment ids (then the text may be empty).
   */
  async send(actor: Actor, roomId: string, text: unknown, source: SendSource): Promise<Message> {
    const [message] = await this.sendMany(actor, roomId, [text], source);
    return message!;
  }

  /**
   * Several texts (or SendContents) from one member to one room, stored together with
   * consecutive seqs in order, then published. All or nothing.
   */
  async sendMany(actor: Actor, roomId: string, texts: unknown[], source: SendSource): Promise<Message[]> {
    const inputs = texts.map((text) => this.#input(actor, roomId, text));
    if (inputs.some((input) => input.replyTo !== undefined)) await this.#checkReplies(actor, roomId, inputs);
    // Only texts with an '@' pay for mention resolution: one query per send.
    if (inputs.some((input) => input.text.includes('@'))) await this.#resolveMentions(actor, roomId, inputs);
    // Membership is checked inside the append (no extra query per send); only a refusal
    // pays for requireMember, which says why (unknown room, private room, not a member).
    const started = performance.now();
    let stored = await this.#appends.submit(inputs);
    this.#metrics.appendDuration.observe((performance.now() - started) / 1000);
    if (stored.includes(null)) {
      await checkMayWriteDirect(this.#store, await this.requireMember(actor, roomId), actor.id);
      await this.#explainAttachmentRefusal(actor, roomId, inputs);
      await this.#explainModerationRefusal(actor, roomId, inputs.length);
      // Became a member (or a slow-mode wait ended) between the two reads: try once more.
      stored = await this.#appends.submit(inputs);
      if (stored.includes(null)) {
        // The gate reads the database's clock: allow for it lagging this process's.
        await this.#explainModerationRefusal(actor, roomId, inputs.length, Date.now() - 2000);
        throw forbidden('not a member of this room');
      }
    }
    const messages = stored as Message[];
    this.#metrics.messagesStored.inc({ type: 'text', source }, messages.length);
    for (const message of messages) this.#notifyStored(message, this.publish(message));
    return messages;
  }

  #input(actor: Actor, roomId: string, content: unknown): NewMemberMessage {
    if (!isSendContent(content)) return { roomId, senderId: actor.id, text: validateMessageText(content, this.#maxLength) };
    if (content.replyTo !== undefined) {
      if (typeof content.replyTo !== 'string' || !UUID.test(content.replyTo)) throw badRequest('replyTo must be a message id');
      const replyTo = content.replyTo.toLowerCase();
      return { ...this.#input(actor, roomId, { text: content.text, attachments: content.attachments }), replyTo };
    }
    const attachments = validateAttachmentIds(content.attachments, this.#maxAttachments);
    if (attachments.length === 0) return { roomId, senderId: actor.id, text: validateMessageText(content.text, this.#maxLength) };
    // With attachments the text is optional.
    const blank = content.text === undefined || (typeof content.text === 'string' && content.text.trim() === '');
    return { roomId, senderId: actor.id, text: blank ? '' : validateMessageText(content.text, this.#maxLength), attachments };
  }

  /** Replies answer a live text message of the same room (checked for members only: ids reveal nothing). */
  async #checkReplies(actor: Actor, roomId: string, inputs: NewMemberMessage[]): Promise<void> {
    await this.requireMember(actor, roomId);
    for (const id of new Set(inputs.flatMap((input) => (input.replyTo === undefined ? [] : [input.replyTo])))) {
      const target = await this.#store.getMessage(roomId, id);
      if (!target || target.type !== 'text') throw notFound('the message replied to was not found in this room');
      if (target.deleted) throw conflict('the message replied to was deleted');
    }
  }

  /** After a refused send with attachments: throws the reason when one of them cannot be sent. */
  async #explainAttachmentRefusal(actor: Actor, roomId: string, inputs: NewMemberMessage[]): Promise<void> {
    const ids = inputs.flatMap((input) => input.attachments ?? []);
    if (new Set(ids).size !== ids.length) throw badRequest('an attachment can be sent only once');
    for (const id of ids) {
      const attachment = await this.#store.getAttachment(id);
      // The same answer for "no such upload" and "someone else's": ids reveal nothing.
      if (!attachment || attachment.uploaderId !== actor.id) throw badRequest(`unknown attachment ${id}: upload it first`);
      if (attachment.roomId !== roomId) throw badRequest(`attachment ${id} was uploaded to another room`);
      if (attachment.messageId !== null) throw conflict(`attachment ${id} was already sent`);
    }
  }

  /** After a refused send: throws the moderation rule that refused it (room-rules.ts), if one did. */
  async #explainModerationRefusal(actor: Actor, roomId: string, batch: number, now = Date.now()): Promise<void> {
    const state = await this.#store.getModerationState(roomId, actor.id);
    const refusal = state && sendRefusal(state, batch, now);
    if (refusal) throw refusal;
  }

  /**
   * The sender edits a text message of theirs within the edit window. Stored (and published) as
   * an `edit` entry with the room's next seq; the message itself now has the new text, editedAt
   * and mentions. The entry's `mentions` are the members it mentions for the first time.
   */
  async editMessage(actor: Actor, roomId: string, messageId: unknown, text: unknown, source: SendSource): Promise<Message> {
    const target = await this.#lifecycleTarget(actor, roomId, messageId);
    if (target.sender.id !== actor.id) throw forbidden('only the sender may edit a message');
    const standing = await this.#store.getModerationState(roomId, actor.id);
    if (standing?.timedOutUntil) throw forbidden(`you are timed out in this room until ${standing.timedOutUntil}`);
    await checkMayWriteDirect(this.#store, await this.requireMember(actor, roomId), actor.id);
    if (Date.now() - Date.parse(target.createdAt) > this.#editWindowMs) throw forbidden('the edit window of this message has passed');
    const edited: NewMemberMessage = { roomId, senderId: actor.id, text: validateMessageText(text, this.#maxLength) };
    // Re-resolved like a send (one query, only with an '@'); the store counts and notifies only
    // members the message never mentioned before.
    if (edited.text.includes('@')) await this.#resolveMentions(actor, roomId, [edited]);
    return this.#storeLifecycle(actor, { type: 'edit', roomId, actorId: actor.id, targetId: target.id, text: edited.text, mentions: edited.mentions ?? [] }, source);
  }

  /**
   * The sender, or a moderator of the room (room-rules.ts), deletes a text
   * message: its text and files are removed, history shows a tombstone, and a `delete` entry
   * with the room's next seq tells every subscriber (and every later resume).
   */
  async deleteMessage(actor: Actor, roomId: string, messageId: unknown, source: SendSource): Promise<Message> {
    const target = await this.#lifecycleTarget(actor, roomId, messageId);
    if (target.sender.id === actor.id) return this.#storeLifecycle(actor, { type: 'delete', roomId, actorId: actor.id, targetId: target.id }, source);
    const standing = await this.#store.getModerationState(roomId, actor.id);
    if (!mayDeleteMessage(actor.id, standing?.member?.role, target.sender.id)) throw forbidden('only the sender or a moderator of the room may delete a message');
    const deleted = await this.#storeLifecycle(actor, { type: 'delete', roomId, actorId: actor.id, targetId: target.id }, source);
    await this.#store.appendModerationLog(roomId, { actorId: actor.id, action: 'delete-message', targetId: target.sender.id, detail: { messageId: target.id } });
    return deleted;
  }

  /** The live text message an edit or delete names; the actor must be a member. */
  async #lifecycleTarget(actor: Actor, roomId: string, messageId: unknown): Promise<Message> {
    await this.requireMember(actor, roomId);
    if (typeof messageId !== 'string' || messageId === '') throw badRequest('messageId must be a message id');
    const target = await this.#store.getMessage(roomId, messageId);
    if (!target || target.type !== 'text') throw notFound('message not found');
    if (target.deleted) throw conflict('message was deleted');
    return target;
  }

  async #storeLifecycle(actor: Actor, event: NewLifecycleEvent, source: SendSource): Promise<Message> {
    const stored = await this.#store.appendLifecycleEvent(event);
    if (!stored) {
      // Deleted (or the actor left) between the check and the write.
      await this.requireMember(actor, event.roomId);
      throw conflict('message was deleted');
    }
    this.#stored(stored, source);
    return stored;
  }

  async createRoom(actor: Actor, name: string, isPrivate: boolean): Promise<Room> {
    const trimmed = name.trim();
    if (trimmed === '') throw badRequest('name must not be empty');
    checkStorableText('name', trimmed);
    checkNoBidiControls('name', trimmed);
    return this.#store.createRoom({ name: trimmed, private: isPrivate, createdBy: actor.id });
  }

  /** Throws not_found for unknown rooms and for private rooms the actor cannot see. */
  async getVisibleRoom(actor: Actor, roomId: string): Promise<Room> {
    const found = await this.#access.get(roomId, actor.id);
    if (!found || (found.room.private && !found.member)) throw notFound('room not found');
    return found.room;
  }

  /** Joins a public room; private rooms are joined only by being added by a member. */
  async join(actor: Actor, roomId: string): Promise<Room> {
    const room = await this.getVisibleRoom(actor, roomId);
    if (room.private) {
      // Visible means the actor is already a member.
      return room;
    }
    const change = await this.#store.addMember(roomId, actor.id);
    if (change.message) this.#stored(change.message, 'http');
    if (change.changed) this.publishUserEvent(actor.id, { type: 'rooms-changed', roomId });
    return (await this.#store.getRoom(roomId)) ?? room;
  }

  async leave(actor: Actor, roomId: string): Promise<void> {
    refuseDirectMembershipChange(await this.requireMember(actor, roomId), 'leave');
    const change = await this.#store.removeMember(roomId, actor.id);
    if (change.message) this.#stored(change.message, 'http');
    if (change.changed) this.publishUserEvent(actor.id, { type: 'rooms-changed', roomId });
  }

  /**
   * A member adds another user to a room (the way into private rooms). A user who left the room
   * cannot be added back by others (403): leaving is how a user refuses a room.
   */
  async addMember(actor: Actor, roomId: string, userId: string): Promise<Room> {
    refuseDirectMembershipChange(await this.requireMember(actor, roomId), 'add');
    const user = await this.#store.getUser(userId);
    if (!user) throw notFound('user not found');
    const change = await this.#store.addMember(roomId, userId, { addedBy: actor.id });
    if (change.message) this.#stored(change.message, 'http');
    if (change.changed) this.publishUserEvent(userId, { type: 'rooms-changed', roomId });
    const room = await this.#store.getRoom(roomId);
    if (!room) throw notFound('room not found');
    return room;
  }

  async history(actor: Actor, roomId: string, query: HistoryQuery): Promise<Message[]> {
    // The page is read only after the check passes. Reading both at once saved a round trip
    // (~0.5 ms p50), but made every refused request read a page of up to 200 messages: one
    // non-member's flood went from ~3,700 cheap refusals/s to ~700 page reads/s (docs/benchmarks.md,
    // session 19).
    const room = await this.requireMember(actor, roomId);
    const messages = await this.#store.listMessages(roomId, query);
    const shown = room.kind === 'direct' ? hideBlockedPeer(messages, await this.#store.getDirectState(roomId, actor.id)) : messages;
    return this.#markOwnReactions(actor, shown);
  }

  async markRead(actor: Actor, roomId: string, seq: number): Promise<number> {
    await this.requireMember(actor, roomId);
    const lastReadSeq = await this.#store.markRead(roomId, actor.id, seq);
    this.publishUserEvent(actor.id, { type: 'read', roomId, lastReadSeq });
    return lastReadSeq;
  }

  /**
   * Membership check used by every room operation. Unknown rooms are 404;
   * rooms that exist but the actor does not belong to are 403 for public rooms
   * and 404 for private ones (their existence is not revealed).
   */
  async requireMember(actor: Actor, roomId: string): Promise<Room> {
    const found = await this.#access.get(roomId, actor.id);
    if (!found) throw notFound('room not found');
    if (!found.member) {
      if (found.room.private) throw notFound('room not found');
      throw forbidden('not a member of this room');
    }
    return found.room;
  }

  /** Public rooms, newest first (anyone signed in may list them). */
  listPublicRooms(query: { limit: number; cursor?: string | undefined }): Promise<Page<Room>> {
    return this.#store.listPublicRooms(query);
  }

  /** The rooms the actor belongs to, with unread counts. */
  listMemberRooms(actor: Actor): Promise<MemberRoom[]> {
    return this.#store.listMemberRooms(actor.id);
  }

  /** Full-text search over the actor's rooms, newest first, or over one room of theirs. */
  async searchMessages(actor: Actor, query: { text: string; roomId?: string | undefined; limit: number }): Promise<Message[]> {
    // The store scopes to the user's rooms too; naming a foreign room is an error, not an empty result.
    if (query.roomId !== undefined) await this.requireMember(actor, query.roomId);
    return this.#store.searchMessages({ userId: actor.id, text: query.text, roomId: query.roomId, limit: query.limit });
  }

  /** Mutes a room's push notifications for the actor until `until` (null: until unmuted); again replaces the end. */
  async muteRoom(actor: Actor, roomId: string, until: string | null): Promise<RoomMute> {
    await this.requireMember(actor, roomId);
    return this.#store.muteRoom(roomId, actor.id, until);
  }

  /** The actor's mute of a room; not_found when it is not muted. */
  async getRoomMute(actor: Actor, roomId: string): Promise<RoomMute> {
    await this.requireMember(actor, roomId);
    const mute = await this.#store.getRoomMute(roomId, actor.id);
    if (!mute) throw notFound('room is not muted');
    return mute;
  }

  /** Unmutes a room for the actor (idempotent). */
  async unmuteRoom(actor: Actor, roomId: string): Promise<void> {
    await this.requireMember(actor, roomId);
    await this.#store.unmuteRoom(roomId, actor.id);
  }

  #stored(message: Message, source: SendSource): void {
    this.#metrics.messagesStored.inc({ type: message.type, source });
    this.#notifyStored(message, this.publish(message));
  }

  #notifyStored(message: Message, payload: string): void {
    for (const listener of this.#storedListeners) {
      try {
        listener(message, payload);
      } catch (err) {
        this.#logger.error({ err, roomId: message.roomId, seq: message.seq }, 'stored-message listener threw');
      }
    }
  }

  /** Publishes an event to every session of one user (best effort: the state it describes is stored). */
  publishUserEvent(userId: string, event: UserEvent): void {
    this.#broker.publish(topics.user(userId), JSON.stringify(event)).catch((err: unknown) => {
      this.#logger.warn({ err, userId, event: event.type }, 'user event publish failed');
    });
  }

  /** Publishes an ephemeral room event to every replica (best effort: the state it describes is stored). */
  publishRoomEvent(event: RoomEvent): void {
    this.#broker.publish(topics.roomEvents(event.roomId), JSON.stringify(event)).catch((err: unknown) => {
      this.#logger.warn({ err, roomId: event.roomId, event: event.type }, 'room event publish failed');
    });
  }

  /**
   * Publishes a stored message. A failed publish does not fail the caller: the
   * message is durable, and chat-servers backfill gaps from the store by seq.
   * Returns the published payload (the message's JSON).
   */
  publish(message: Message): string {
    const payload = JSON.stringify(message);
    this.#broker.publish(topics.room(message.roomId), payload).catch((err: unknown) => {
      this.#logger.warn({ err, roomId: message.roomId, seq: message.seq }, 'publish failed; subscribers will backfill');
    });
    return payload;
  }

  /** Publishes (and tells onStored listeners of) a message another service stored, e.g. a kicked member's leave. */
  recordStored(message: Message, source: SendSource): void {
    this.#stored(message, source);
  }

  /**
   * A member adds (or, with `remove`, takes back) a reaction on a live text message of the room.
   * Idempotent: a change that changes nothing stores and publishes nothing. Otherwise a
   * `reaction` entry with the room's next seq carries the message's new reactions to every
   * subscriber (docs/conversations.md). Answers the message's reactions, `mine` marked.
   */
  async react(actor: Actor, roomId: string, messageId: unknown, emoji: unknown, remove: boolean, source: SendSource): Promise<{ messageId: string; reactions: ReactionCount[] }> {
    await this.requireMember(actor, roomId);
    if (typeof messageId !== 'string' || !UUID.test(messageId)) throw badRequest('messageId must be a message id');
    const valid = validateEmoji(emoji);
    const id = messageId.toLowerCase();
    // A timed-out member adds nothing to the room (taking a reaction back is allowed).
    if (!remove) {
      const standing = await this.#store.getModerationState(roomId, actor.id);
      if (standing?.timedOutUntil) throw forbidden(`you are timed out in this room until ${standing.timedOutUntil}`);
    }
    const result = await this.#store.changeReaction({
      roomId,
      messageId: id,
      actorId: actor.id,
      emoji: valid,
      remove,
      maxPerMessage: MAX_REACTIONS_PER_MESSAGE,
      maxPerUser: MAX_REACTIONS_PER_USER,
    });
    if (!result) {
      await this.requireMember(actor, roomId);
      throw notFound('message not found');
    }
    if (result.entry) this.#stored(result.entry, source);
    const [marked] = await this.#markOwnReactions(actor, [{ id, reactions: result.reactions }]);
    return { messageId: id, reactions: marked?.reactions ?? [] };
  }

  /** The actor's settings (notifyMentionsWhenMuted). */
  async getSettings(actor: Actor): Promise<UserSettings> {
    const settings = await this.#store.getUserSettings(actor.id);
    if (!settings) throw notFound('user not found');
    return settings;
  }

  async updateSettings(actor: Actor, patch: unknown): Promise<UserSettings> {
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw badRequest('settings must be an object');
    const { notifyMentionsWhenMuted, ...rest } = patch as Record<string, unknown>;
    const unknownKey = Object.keys(rest)[0];
    if (unknownKey !== undefined) throw badRequest(`unknown setting ${unknownKey.slice(0, 64)}`);
    if (notifyMentionsWhenMuted !== undefined && typeof notifyMentionsWhenMuted !== 'boolean') throw badRequest('notifyMentionsWhenMuted must be a boolean');
    const settings = await this.#store.updateUserSettings(actor.id, notifyMentionsWhenMuted === undefined ? {} : { notifyMentionsWhenMuted });
    if (!settings) throw notFound('user not found');
    return settings;
  }

  /** Marks the reader's own reactions (`mine`): one query for the page, none when it has no reactions. */
  async #markOwnReactions<T extends Pick<Message, 'id' | 'reactions'>>(actor: Actor, messages: T[]): Promise<T[]> {
    const reacted = messages.filter((m) => m.reactions && m.reactions.length > 0 && (m as Partial<Message>).type !== 'reaction');
    if (reacted.length === 0) return messages;
    const mine = await this.#store.listOwnReactions(actor.id, reacted.map((m) => m.id));
    if (mine.size === 0) return messages;
    return messages.map((m) => {
      const own = mine.get(m.id);
      if (!own || !m.reactions || (m as Partial<Message>).type === 'reaction') return m;
      return { ...m, reactions: m.reactions.map((r) => (own.has(r.emoji) ? { ...r, mine: true as const } : r)) };
    });
  }

  /**
   * `@username`s of the texts that name members of the room (not the sender), at most
   * MAX_MENTIONS_PER_MESSAGE per message, resolved for the whole send in one query.
   */
  async #resolveMentions(actor: Actor, roomId: string, inputs: NewMemberMessage[]): Promise<void> {
    const perInput = inputs.map((input) => parseMentions(input.text));
    const names = [...new Set(perInput.flat())];
    if (names.length === 0) return;
    const members = await this.#store.findMembersByUsername(roomId, names);
    const idOf = new Map(members.filter((m) => m.id !== actor.id).map((m) => [m.username.toLowerCase(), m.id]));
    inputs.forEach((input, i) => {
      const ids = [...new Set(perInput[i]!.flatMap((name) => idOf.get(name) ?? []))].slice(0, MAX_MENTIONS_PER_MESSAGE);
      if (ids.length > 0) input.mentions = ids;
    });
  }
}

function isSendContent(value: unknown): value is SendContent {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && ('text' in value || 'attachments' in value || 'replyTo' in value);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Attachment ids of a send: absent or an array of at most `max` distinct uuids. */
export function validateAttachmentIds(value: unknown, max: number): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badRequest('attachments must be an array of attachment ids');
  if (value.length > max) throw badRequest(`a message carries at most ${max} attachments`);
  const ids = value.map((id) => {
    if (typeof id !== 'string' || !UUID.test(id)) throw badRequest('attachments must be an array of attachment ids');
    return id.toLowerCase();
  });
  if (new Set(ids).size !== ids.length) throw badRequest('an attachment can be sent only once');
  return ids;
}
