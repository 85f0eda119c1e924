import type { ModerationStore } from './moderation-store.js';
import type { AttachmentInfo, Device, DirectPeer, DevicePlatform, MemberRoom, Message, MessageType, Page, ReactionCount, Room, RoomMute, User, UserCredentials, UserSettings, UserSummary } from '../domain/types.js';

export interface NewUser {
  username: string;
  email: string;
  passwordHash: string;
}

export interface NewRoom {
  name: string;
  private: boolean;
  createdBy: string;
}

export interface NewMessage {
  roomId: string;
  senderId: string;
  type: MessageType;
  text: string;
}

export interface NewMemberMessage {
  roomId: string;
  senderId: string;
  text: string;
  /** Attachment ids, in order: each must be an unsent upload of the sender in this room. */
  attachments?: readonly string[];
  /** The message this one answers; the caller checks it is a text message of the same room. */
  replyTo?: string;
  /** Ids of the room's members the text mentions (resolved by the caller; at most a few dozen). */
  mentions?: readonly string[];
}

/** An edit or delete of a text message, stored as its own entry of the room's sequence. */
export interface NewLifecycleEvent {
  type: 'edit' | 'delete';
  roomId: string;
  /** Who edits or deletes (must be a member; the rules of who may are the caller's). */
  actorId: string;
  targetId: string;
  /** The new text (edit only). */
  text?: string;
  /**
   * Edit only: ids of the room's members the new text mentions (resolved by the caller). Those
   * the message never mentioned before are counted and notified once (docs/conversations.md).
   */
  mentions?: readonly string[];
}

export interface NewAttachment {
  id: string;
  roomId: string;
  uploaderId: string;
  name: string;
  contentType: string;
  size: number;
  width?: number | null;
  height?: number | null;
  /** Where the bytes already are (the object is written before the row). */
  objectKey: string;
  thumbnailKey?: string | null;
}

/** An attachment row: what messages show plus where its bytes live and whose it is. */
export interface StoredAttachment extends AttachmentInfo {
  roomId: string;
  uploaderId: string;
  objectKey: string;
  thumbnailKey: string | null;
  /** The message that carries it; null while unsent. */
  messageId: string | null;
  createdAt: string;
}

export interface HistoryQuery {
  /** Only messages with seq < before. */
  before?: number;
  /** Only messages with seq > after. */
  after?: number;
  /** 1..500. */
  limit: number;
}

export interface SearchQuery {
  /** The searching user: only rooms they belong to are searched. */
  userId: string;
  /** Free text, parsed with websearch_to_tsquery. */
  text: string;
  roomId?: string;
  limit: number;
}

/** A member who may be notified of a room's new messages (has a device), with what the notification needs. */
export interface PushRecipient {
  userId: string;
  /** Text messages from others after the member's read position, among the room's newest 1000 messages. */
  unread: number;
  devices: Array<{ token: string; platform: DevicePlatform }>;
  /**
   * The member muted the room but is named in `mentioned` (and lets mentions through): notify
   * them only of the claimed messages that mention them.
   */
  mentionsOnly?: true;
}

/** One reaction added or taken back (the rules of who may, and the emoji's form, are the caller's). */
export interface ReactionChange {
  roomId: string;
  messageId: string;
  actorId: string;
  emoji: string;
  remove: boolean;
  /** Distinct emoji a message may carry; an add of a new one beyond it is refused (conflict). */
  maxPerMessage: number;
  /** Reactions one user may put on one message; an add beyond it is refused (conflict). */
  maxPerUser: number;
}

/** What a reaction change did: the stored entry (null when nothing changed) and the message's reactions now. */
export interface ReactionResult {
  entry: Message | null;
  reactions: ReactionCount[];
}

/** The result of a membership change: the stored join/leave message, or null when nothing changed. */
export interface MembershipChange {
  changed: boolean;
  message: Message | null;
}

/**
 * The system of record. Two implementations share one SQL dialect: PGlite
 * (embedded, single connection) and Postgres via `pg` (production).
 *
 * Contract:
 * - Every method is atomic: it either fully applies or throws and changes nothing.
 * - Unique violations (username, email) throw ChorusError('conflict').
 * - Missing rows are `null` (getters) or ChorusError('not_found') (mutations on a room that does not exist).
 * - `appendMessage` of a text message also writes its push job (table push_outbox) in the same
 *   statement, so every stored text message that may notify someone has one: every message of a
 *   room of more than PUSH_JOB_PROBE_MAX_MEMBERS members, and in smaller rooms those where a member
 *   other than the sender has a registered device (push-job-sql.ts); see PushQueue.
 * - `appendMessage` assigns `seq = room.last_seq + 1` under a row lock of the room, so seqs are
 *   strictly increasing and gap-free per room even with concurrent writers in many processes.
 *   It does not check membership: callers (MessageService) do.
 * - `addMember`/`removeMember` store the join/leave message in the same transaction as the
 *   membership change, and are idempotent (a second join is `{changed:false, message:null}`).
 * - `removeMember` records the departure; `addMember` with an `addedBy` other than the user
 *   refuses (ChorusError('forbidden')) a user who left the room, and a user adding themselves
 *   (joining) clears the record.
 * - Connection failures surface as ChorusError('unavailable'); the store recovers by itself when
 *   the database returns (no restart needed).
 */
export interface Store extends ModerationStore {
  /** Resolves once migrations are verified and the database answers. */
  ping(): Promise<void>;
  close(): Promise<void>;

  createUser(user: NewUser): Promise<User>;
  getUser(id: string): Promise<User | null>;
  /** `login` matches the username or the email (case-insensitive). */
  findCredentials(login: string): Promise<UserCredentials | null>;

  /** Creates the room with its creator as the first member. */
  createRoom(room: NewRoom): Promise<Room>;
  getRoom(id: string): Promise<Room | null>;
  /** The room and whether the user is a member, in one query (null when the room does not exist). */
  getRoomForUser(roomId: string, userId: string): Promise<{ room: Room; member: boolean } | null>;
  /** getRoomForUser for many (room, user) pairs in one query; result i answers pair i. */
  getRoomsForUsers(pairs: ReadonlyArray<{ roomId: string; userId: string }>): Promise<Array<{ room: Room; member: boolean } | null>>;
  /** Public rooms by creation time (newest first); `cursor` comes from the previous page. */
  listPublicRooms(options: { limit: number; cursor?: string | undefined }): Promise<Page<Room>>;
  /** Rooms the user belongs to, with their last seq and the user's unread count. */
  listMemberRooms(userId: string): Promise<MemberRoom[]>;
  isMember(roomId: string, userId: string): Promise<boolean>;
  /** User ids of every member (for push and presence). */
  listMemberIds(roomId: string): Promise<string[]>;
  addMember(roomId: string, userId: string, options?: { addedBy?: string }): Promise<MembershipChange>;
  removeMember(roomId: string, userId: string): Promise<MembershipChange>;

  appendMessage(message: NewMessage): Promise<Message>;
  /**
   * Text messages from senders who must be members of their rooms, checked in the same
   * statement: the group commit of every send, across rooms and senders. Result i is the
   * stored message for input i, or null when nothing was written for it (unknown room or
   * sender, or not a member). Messages of one room get consecutive seqs in input order,
   * and each gets its push job, as with appendMessage.
   * Attachments: an input with `attachments` is written only when every id is an unsent
   * upload of its sender in its room (rows locked, so two messages can never take the same
   * upload); the statement that stores the message marks them sent, so a message and its
   * attachments are written together or not at all. An upload named by two inputs of one
   * batch goes to the first only.
   */
  appendMemberMessages(messages: NewMemberMessage[]): Promise<Array<Message | null>>;
  /**
   * Edits or deletes a text message of the room and stores the event with the room's next seq,
   * in ONE statement: the target gets its new text and editedAt (edit), or loses its text and
   * attachment rows and gets deletedAt (delete). Returns the stored event, or null when nothing
   * was written (target unknown, not a text message of this room, already deleted, or the actor
   * not a member). Writes no push job.
   */
  appendLifecycleEvent(event: NewLifecycleEvent): Promise<Message | null>;
  /** One message of a room (in its current state), or null. */
  getMessage(roomId: string, messageId: string): Promise<Message | null>;
  /** Ascending by seq. With only `before` (or nothing), the newest `limit` messages before it. */
  listMessages(roomId: string, query: HistoryQuery): Promise<Message[]>;
  /** Last assigned seq of a room (0 when empty), or null when the room does not exist. */
  lastSeq(roomId: string): Promise<number | null>;
  /** Full-text search (text, and the names of attached files) over text messages of the rooms the user belongs to, newest first. */
  searchMessages(query: SearchQuery): Promise<Message[]>;
  /** Moves the member's read position forward (never backward) and clamps it to the room's last seq. */
  markRead(roomId: string, userId: string, seq: number): Promise<number>;

  /**
   * Records an upload whose bytes are already stored. Written only while the uploader is a
   * member of the room; otherwise not_found ('room not found').
   */
  createAttachment(attachment: NewAttachment): Promise<StoredAttachment>;
  getAttachment(id: string): Promise<StoredAttachment | null>;
  /** The attachment when `userId` is a member of its room; null otherwise (no existence leak). */
  getAttachmentForMember(id: string, userId: string): Promise<StoredAttachment | null>;
  /** Deletes (and returns) up to `limit` uploads never sent and created before `createdBefore`. */
  deleteUnsentAttachments(createdBefore: Date, limit: number): Promise<StoredAttachment[]>;
  /** Which of `ids` have a row (the orphan-object sweep keeps their objects). */
  existingAttachmentIds(ids: readonly string[]): Promise<Set<string>>;

  /** Registers a device token; a token already registered moves to this user. */
  upsertDevice(userId: string, token: string, platform: DevicePlatform): Promise<Device>;
  /** Deletes the token if it belongs to the user; returns whether it did. */
  deleteDevice(userId: string, token: string): Promise<boolean>;
  listDevices(userId: string): Promise<Device[]>;

  /**
   * Mutes the room's push notifications for a member until `until` (ISO-8601, in the future) or,
   * with null, until unmuted; muting again replaces the end. not_found when not a member.
   */
  muteRoom(roomId: string, userId: string, until: string | null): Promise<RoomMute>;
  /** Removes the member's mute; returns whether there was one. */
  unmuteRoom(roomId: string, userId: string): Promise<boolean>;
  /** The member's mute when one is in force now, else null. */
  getRoomMute(roomId: string, userId: string): Promise<RoomMute | null>;
  /** Every member of the room who has at least one device and is not muted right now, with unread count and devices. */
  listPushRecipients(roomId: string): Promise<PushRecipient[]>;
  /**
   * listPushRecipients for several rooms in one query; every given room id is a key (unknown rooms: []).
   * `mentioned` (room id → user ids mentioned by the claimed messages) adds those members who muted
   * the room but let mentions through (UserSettings.notifyMentionsWhenMuted), marked mentionsOnly.
   */
  listPushRecipientsByRoom(roomIds: readonly string[], mentioned?: ReadonlyMap<string, readonly string[]>): Promise<Map<string, PushRecipient[]>>;

  /**
   * Adds or takes back one reaction on a live text message of the room, the actor a member, in one
   * transaction that locks the message: idempotent (adding an existing reaction or removing an
   * absent one writes nothing and returns entry null); otherwise the message's aggregate is
   * updated and a `reaction` entry with the room's next seq stored (counted as a lifecycle entry,
   * no push job). Null when the message is not a text message of the room or the actor not a
   * member; conflict when the message was deleted or a limit of the change is reached.
   */
  changeReaction(change: ReactionChange): Promise<ReactionResult | null>;
  /** The emoji `userId` reacted with on each of `messageIds` (one query; messages without any are absent). */
  listOwnReactions(userId: string, messageIds: readonly string[]): Promise<Map<string, Set<string>>>;
  /** Members of the room among `usernames` (case-insensitive), in one query. */
  findMembersByUsername(roomId: string, usernames: readonly string[]): Promise<Array<{ id: string; username: string }>>;
  getUserSettings(userId: string): Promise<UserSettings | null>;
  /** Changes the given settings; returns them all, or null for an unknown user. */
  updateUserSettings(userId: string, settings: Partial<UserSettings>): Promise<UserSettings | null>;

  // ---- account lifecycle (docs/accounts.md)

  /** A live account's credentials by id; null for an unknown or deleted account. */
  getCredentials(userId: string): Promise<UserCredentials | null>;
  /** The user's token generation (tokens issued in an older one are refused); null for an unknown or deleted account. */
  getTokenGeneration(userId: string): Promise<number | null>;
  /**
   * Moves the user's token generation forward, and sets `passwordHash` when given, atomically;
   * resolves with the new generation, or null for an unknown or deleted account.
   */
  revokeTokens(userId: string, passwordHash?: string): Promise<number | null>;
  /**
   * Deletes the account (see AccountDeletion); null for an unknown or already deleted account.
   * Its row stays, anonymised, so its messages and rooms stay whole; its username and email are free again.
   */
  deleteAccount(userId: string): Promise<AccountDeletion | null>;

  // ---- direct rooms, user search, blocks (docs/conversations-dms.md)

  /**
   * THE direct room of two different users: found, or created on first use (private, kind 'direct',
   * both members, no join messages). Race-free across processes: the ordered pair is a primary key,
   * so concurrent first uses all return the one room that was stored (`created` true for exactly
   * one of them). null when either user does not exist; bad_request for a user and themselves.
   */
  openDirectRoom(userId: string, otherId: string): Promise<{ room: Room; created: boolean } | null>;
  /** For a member of a direct room: the other member and the blocks between them (null for other rooms and non-members). */
  getDirectState(roomId: string, userId: string): Promise<DirectState | null>;
  /** Users whose username starts with `prefix` (case-insensitive; LIKE wildcards match themselves), by lowercased username, at most `limit`. */
  searchUsers(prefix: string, limit: number): Promise<UserSummary[]>;
  /**
   * Records that `blockerId` blocks `blockedId` unless they already have `maxBlocks` blocks
   * ('full'); 'exists' when already blocked, 'unknown' when either user does not exist.
   */
  blockUser(blockerId: string, blockedId: string, maxBlocks: number): Promise<'added' | 'exists' | 'full' | 'unknown'>;
  /** Removes the block; returns whether there was one. */
  unblockUser(blockerId: string, blockedId: string): Promise<boolean>;
  /** The users `blockerId` blocks, by lowercased username, at most `limit`. */
  listBlocks(blockerId: string, limit: number): Promise<UserSummary[]>;
  /** Whether `blockerId` blocks `blockedId`. */
  isBlocked(blockerId: string, blockedId: string): Promise<boolean>;
}


/** A direct room as one of its two members sees it. */
export interface DirectState {
  peer: DirectPeer;
  /** The member blocks the peer. */
  blockedByMe: boolean;
  /** The peer blocks the member. */
  blocksMe: boolean;
}


/** What deleting an account removed. */
export interface AccountDeletion {
  /** The account's final token generation: every token issued before is refused. */
  tokenGeneration: number;
  /** Rooms it was a member of (memberships removed, member counts lowered; no leave entry). */
  rooms: number;
  /** Push devices removed. */
  devices: number;
  /** Uploads never sent, removed (their objects go with the orphan-object sweep). */
  unsentUploads: number;
  /** Its messages (and edit/delete, join/leave entries), kept in history as "deleted user". */
  messages: number;
}
