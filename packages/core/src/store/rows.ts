import { toAttachmentList } from './attachment-rows.js';
import { isoTimestamp, type Timestamp } from './timestamps.js';
import { REPLY_QUOTE_LENGTH, type Device, type DirectPeer, type DevicePlatform, type MemberRoom, type Message, type MessageType, type ReactionCount, type Room, type User, type UserCredentials } from '../domain/types.js';

// Row shapes as both drivers return them: bigint may arrive as string (pg) or
// number (PGlite), timestamptz as Date (PGlite) or ISO string (pg) — hence the conversions below.
type BigIntValue = string | number | bigint;

export interface UserRow {
  id: string;
  username: string;
  email: string;
  password_hash: string;
  is_admin: boolean;
  created_at: Timestamp;
}

export interface RoomRow {
  id: string;
  name: string;
  private: boolean;
  created_by: string;
  created_at: Timestamp;
  member_count: number;
  kind: string;
}

export interface MemberRoomRow extends RoomRow {
  last_seq: BigIntValue;
  last_read_seq: BigIntValue;
  /** Edit/delete entries after the read position (not unread). */
  lifecycle_unread: BigIntValue;
  /** Direct rooms: the other member as JSON {userId, username} (NULL otherwise). */
  direct?: unknown;
  /** Unread messages mentioning the member (absent in queries that do not count them: 0). */
  mentions_unread?: BigIntValue;
}

export interface MessageRow {
  id: string;
  room_id: string;
  seq: BigIntValue;
  type: MessageType;
  sender_id: string;
  sender_username: string;
  text: string;
  created_at: Timestamp;
  target_id: string | null;
  reply_to: string | null;
  edited_at: Timestamp | null;
  deleted_at: Timestamp | null;
  reactions: unknown;
  reaction_removed: boolean | null;
  mentions: string[] | null;
  /** JSON object, in queries that select REPLY_QUOTE_OF (absent or NULL: not a reply). */
  reply_quote?: unknown;
  /** JSON list, in queries that select ATTACHMENTS_OF (absent or NULL: none). */
  attachments?: unknown;
}

export interface DeviceRow {
  token: string;
  user_id: string;
  platform: DevicePlatform;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export const USER_COLUMNS = 'id, username, email, password_hash, is_admin, created_at';
export const ROOM_COLUMNS = 'id, name, private, created_by, created_at, member_count, kind';
export const MESSAGE_COLUMNS = 'id, room_id, seq, type, sender_id, sender_username, text, created_at, target_id, edited_at, deleted_at, reply_to, reactions, reaction_removed, mentions';
export const DEVICE_COLUMNS = 'token, user_id, platform, created_at, updated_at';

interface QuoteJson {
  id: string;
  sender_id: string;
  sender_username: string;
  text: string;
  deleted: boolean;
}

/** A message query's `reply_quote` column: the answered message as it is now; `m` is the messages alias. */
export const REPLY_QUOTE_OF = (m: string) =>
  `(SELECT json_build_object('id', q.id, 'sender_id', q.sender_id, 'sender_username', q.sender_username, 'text', left(q.text, ${REPLY_QUOTE_LENGTH}), 'deleted', q.deleted_at IS NOT NULL) FROM messages q WHERE q.id = ${m}.reply_to) AS reply_quote`;

export const toNumber = (value: BigIntValue): number => Number(value);

export function toUser(row: UserRow): User {
  return { id: row.id, username: row.username, email: row.email, createdAt: isoTimestamp(row.created_at), isAdmin: row.is_admin };
}

export function toCredentials(row: UserRow): UserCredentials {
  return { ...toUser(row), passwordHash: row.password_hash };
}

export function toRoom(row: RoomRow): Room {
  const room: Room = {
    id: row.id,
    name: row.name,
    private: row.private,
    createdBy: row.created_by,
    createdAt: isoTimestamp(row.created_at),
    memberCount: Number(row.member_count),
  };
  if (row.kind === 'direct') room.kind = 'direct';
  return room;
}

export function toMemberRoom(row: MemberRoomRow): MemberRoom {
  const lastSeq = toNumber(row.last_seq);
  const lastReadSeq = toNumber(row.last_read_seq);
  const room: MemberRoom = { ...toRoom(row), lastSeq, lastReadSeq, unread: Math.max(0, lastSeq - lastReadSeq - toNumber(row.lifecycle_unread)), mentions: toNumber(row.mentions_unread ?? 0) };
  const direct = (typeof row.direct === 'string' ? JSON.parse(row.direct) : row.direct) as DirectPeer | null | undefined;
  if (direct) room.direct = { userId: direct.userId, username: direct.username };
  return room;
}

export function toMessage(row: MessageRow): Message {
  const attachments = toAttachmentList(row.attachments);
  const message: Message = {
    id: row.id,
    roomId: row.room_id,
    seq: toNumber(row.seq),
    type: row.type,
    sender: { id: row.sender_id, username: row.sender_username },
    text: row.text,
    createdAt: isoTimestamp(row.created_at),
  };
  if (attachments) message.attachments = attachments;
  if (row.target_id) message.targetId = row.target_id;
  if (row.edited_at) message.editedAt = isoTimestamp(row.edited_at);
  if (row.deleted_at) message.deleted = true;
  const quote = (typeof row.reply_quote === 'string' ? JSON.parse(row.reply_quote) : row.reply_quote) as QuoteJson | null | undefined;
  if (quote) {
    message.replyTo = { id: quote.id, sender: { id: quote.sender_id, username: quote.sender_username }, text: quote.deleted ? '' : quote.text };
    if (quote.deleted) message.replyTo.deleted = true;
  }
  const reactions = toReactionList(row.reactions);
  // A tombstone shows no reactions; a reaction entry carries its target's aggregate.
  if (reactions && !row.deleted_at) message.reactions = reactions;
  if (row.type === 'reaction') message.reaction = row.reaction_removed ? { emoji: row.text, removed: true } : { emoji: row.text };
  if (row.mentions && row.mentions.length > 0) message.mentions = row.mentions;
  return message;
}

export function toDevice(row: DeviceRow): Device {
  return {
    token: row.token,
    userId: row.user_id,
    platform: row.platform,
    createdAt: isoTimestamp(row.created_at),
    updatedAt: isoTimestamp(row.updated_at),
  };
}

/** The `reactions` column: a JSON list of {emoji, count} (NULL or empty: none). */
export function toReactionList(value: unknown): ReactionCount[] | undefined {
  const list = (typeof value === 'string' ? JSON.parse(value) : value) as Array<{ emoji: string; count: number | string }> | null | undefined;
  if (!Array.isArray(list)) return undefined;
  return list.map((r) => ({ emoji: String(r.emoji), count: Number(r.count) }));
}
