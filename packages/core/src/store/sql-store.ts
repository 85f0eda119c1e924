import { randomUUID } from 'node:crypto';
import type { Device, DevicePlatform, MemberRoom, Message, MessageType, Page, Room, RoomMute, User, UserCredentials, UserSettings, UserSummary } from '../domain/types.js';
import { badRequest, forbidden, notFound } from '../errors.js';
import { checkDevice, checkLimit, checkSeq, isUuid } from './input.js';
import { CURSOR_TIMESTAMP_SQL, decodeRoomCursor, encodeRoomCursor } from './room-cursor.js';
import {
  DEVICE_COLUMNS,
  MESSAGE_COLUMNS,
  REPLY_QUOTE_OF,
  ROOM_COLUMNS,
  toCredentials,
  toDevice,
  toMemberRoom,
  toMessage,
  toNumber,
  toRoom,
  toUser,
  USER_COLUMNS,
  type DeviceRow,
  type MemberRoomRow,
  type MessageRow,
  type RoomRow,
  type UserRow,
} from './rows.js';
import type { SqlDatabase } from './sql-database.js';
import { toStoreError } from './sql-errors.js';
import * as accounts from './account-sql.js';
import { ATTACHMENT_COLUMNS, ATTACHMENT_JSON, ATTACHMENTS_OF, toStoredAttachment, type AttachmentRow } from './attachment-rows.js';
import { changeReaction, findMembersByUsername, getUserSettings, listOwnReactions, MENTIONS_UNREAD_OF, MENTION_PUSH_RECIPIENTS_SQL, updateUserSettings } from './reaction-rows.js';
import type { AccountDeletion, DirectState, HistoryQuery, MembershipChange, NewAttachment, NewLifecycleEvent, NewMemberMessage, NewMessage, NewRoom, NewUser, PushRecipient, ReactionChange, ReactionResult, SearchQuery, Store, StoredAttachment } from './store.js';
import { appendEdit } from './edit-sql.js';
import { mayNotifyInBatchSql, mayNotifySql, pushHoldersSql, pushTargetsSql } from './push-job-sql.js';
import { ModerationSql, PROMOTE_HEIR_SQL, SEND_GATE_SQL, SLOW_MODE_FLAG_SQL } from './moderation-sql.js';
import { DIRECT_PEER_OF, DirectRows, NOT_BLOCKED_IN_DIRECT_ROOM } from './direct-rows.js';
import { isoTimestamp, type Timestamp } from './timestamps.js';

const MESSAGE_TYPES: readonly MessageType[] = ['text', 'join', 'leave'];

/**
 * A delete in ONE statement: the target (a live text message of the room; the actor a member) is
 * emptied, and only then the room's seq moves and the event is inserted, so either both are
 * written or neither. A concurrent delete of the target re-checks deleted_at after the row lock
 * and writes nothing. A deleted message's files go with it (their rows now, their objects by the
 * orphan-object sweep), and so does its push job if not sent yet (no notification for a deleted
 * message, not even on replay). Edits: edit-sql.ts. $1 event id, $2 room, $3 actor, $4 target, $5 ''.
 */
const DELETE_SQL = `
    WITH t AS (
      UPDATE messages SET text = '', deleted_at = now()
      WHERE id = $4 AND room_id = $2 AND type = 'text' AND deleted_at IS NULL
        AND EXISTS (SELECT 1 FROM memberships WHERE room_id = $2 AND user_id = $3)
      RETURNING id
    ), gone AS (DELETE FROM attachments WHERE message_id IN (SELECT id FROM t)),
    unpushed AS (DELETE FROM push_outbox WHERE message_id IN (SELECT id FROM t)), r AS (
      UPDATE rooms SET last_seq = rooms.last_seq + 1, lifecycle_count = rooms.lifecycle_count + 1
      FROM users u
      WHERE rooms.id = $2 AND u.id = $3 AND EXISTS (SELECT 1 FROM t)
      RETURNING rooms.id, rooms.last_seq, u.username
    ), m AS (
      INSERT INTO messages (id, room_id, seq, type, sender_id, sender_username, text, target_id)
      SELECT $1::uuid, r.id, r.last_seq, 'delete', $3::uuid, r.username, $5::text, $4::uuid FROM r
      RETURNING ${MESSAGE_COLUMNS}
    )
    SELECT ${MESSAGE_COLUMNS} FROM m`;

/** listPushRecipients counts unread messages up to this many. */
export const PUSH_UNREAD_CAP = 1000;

const prefixed = (alias: string, columns: string) =>
  columns
    .split(', ')
    .map((c) => `${alias}.${c}`)
    .join(', ');

/**
 * Increments the room's last_seq under its row lock and inserts the message with
 * that seq, in ONE statement: atomic, gap-free under concurrent writers, and no
 * row at all (nothing written) when the room or the sender does not exist.
 * Parameters: $1 message id, $2 room, $3 sender, $4 type, then $5 text for text messages;
 * join/leave texts are derived from the sender's username.
 */
function appendSql(memberDelta: '' | '+ 1' | '- 1', textSql: string, options: { pushJob?: boolean } = {}): string {
  const memberCount = memberDelta ? `, member_count = rooms.member_count ${memberDelta}` : '';
  // The push job is written by the same statement as the message: a stored text message that
  // may notify someone (push-job-sql.ts) without its job, or a job without its message, cannot exist.
  const pushJob = options.pushJob
    ? `, holders AS (${pushHoldersSql('m')}
    ), job AS (
      INSERT INTO push_outbox (room_id, message_id, seq, sender_id, message_created_at)
      SELECT m.room_id, m.id, m.seq, m.sender_id, m.created_at FROM m JOIN holders h ON h.room_id = m.room_id
      WHERE m.type = 'text' AND ${mayNotifySql('h', 'm.sender_id')}
    )`
    : '';
  return `
    WITH r AS (
      UPDATE rooms SET last_seq = rooms.last_seq + 1 ${memberCount}
      FROM users u
      WHERE rooms.id = $2 AND u.id = $3
      RETURNING rooms.id, rooms.last_seq, u.username
    ), m AS (
      INSERT INTO messages (id, room_id, seq, type, sender_id, sender_username, text)
      SELECT $1::uuid, r.id, r.last_seq, $4::text, $3::uuid, r.username, ${textSql} FROM r
      RETURNING ${MESSAGE_COLUMNS}
    )${pushJob}
    SELECT ${MESSAGE_COLUMNS} FROM m`;
}

const APPEND_MESSAGE_SQL = appendSql('', '$5::text', { pushJob: true });
/**
 * Group commit of member text messages across rooms and senders, in ONE statement.
 * Rooms are locked in id order before their seqs move, so concurrent batches (from
 * this or other processes) that share rooms queue instead of deadlocking. Membership
 * is checked per row; rows that fail it are simply not written.
 * Attachments: the named unsent uploads are locked (in id order) first; an input is written
 * only if each of its uploads is unsent, its sender's, in its room and not claimed by an
 * earlier input of the batch; the same statement marks them sent.
 * $1 ids, $2 rooms, $3 senders, $4 texts, $5 attachment ids joined by ',' ('' for none), $6 reply_to
 * (null for none; the caller checked it names a message of the room), $7 mentioned member ids joined
 * by ',' ('' for none; also indexed in message_mentions for unread mention counts) (parallel arrays).
 */
const APPEND_MEMBER_MESSAGES_SQL = `
    WITH input AS (
      SELECT t.id, t.room_id, t.sender_id, t.text, t.atts, t.reply_to, t.mentions, t.ord,
        count(*) OVER (PARTITION BY t.room_id, t.sender_id) AS n
      FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::uuid[], $7::text[]) WITH ORDINALITY AS t(id, room_id, sender_id, text, atts, reply_to, mentions, ord)
    ), input_att AS (
      SELECT i.id AS message_id, i.ord, x.att_id::uuid AS att_id, x.position::smallint AS position
      FROM input i CROSS JOIN LATERAL unnest(string_to_array(i.atts, ',')) WITH ORDINALITY AS x(att_id, position)
      WHERE i.atts <> ''
    ), att_locked AS MATERIALIZED (
      SELECT ${ATTACHMENT_COLUMNS} FROM attachments
      WHERE id IN (SELECT att_id FROM input_att) AND message_id IS NULL
      ORDER BY id FOR UPDATE
    ), first_claim AS (
      SELECT att_id, min(ord) AS ord FROM input_att GROUP BY att_id
    ), accepted AS MATERIALIZED (
      SELECT i.id, i.room_id, i.sender_id, i.text, i.reply_to, i.mentions, i.ord, u.username, ${SLOW_MODE_FLAG_SQL} AS slow
      FROM input i
      JOIN users u ON u.id = i.sender_id
      JOIN memberships ms ON ms.room_id = i.room_id AND ms.user_id = i.sender_id
      JOIN rooms gr ON gr.id = i.room_id
      WHERE ${SEND_GATE_SQL} AND ${NOT_BLOCKED_IN_DIRECT_ROOM('i.room_id', 'i.sender_id')} AND NOT EXISTS (
        SELECT 1 FROM input_att ia
        JOIN first_claim fc ON fc.att_id = ia.att_id
        LEFT JOIN att_locked al ON al.id = ia.att_id AND al.room_id = i.room_id AND al.uploader_id = i.sender_id
        WHERE ia.ord = i.ord AND (al.id IS NULL OR fc.ord <> i.ord)
      )
    ), counts AS (
      SELECT room_id, count(*) AS n FROM accepted GROUP BY room_id
    ), locked AS MATERIALIZED (
      SELECT r.id FROM rooms r WHERE r.id IN (SELECT room_id FROM counts) ORDER BY r.id FOR NO KEY UPDATE
    ), bumped AS (
      -- ARRAY(...) runs once, before the first update, and reads all of locked: every room is
      -- locked, in id order, before any moves.
      UPDATE rooms SET last_seq = rooms.last_seq + c.n
      FROM counts c
      WHERE rooms.id = c.room_id AND rooms.id = ANY (ARRAY(SELECT id FROM locked))
      RETURNING rooms.id, rooms.last_seq - c.n AS first_seq
    ), first_seqs AS MATERIALIZED (
      -- One lookup object instead of a join: the planner cannot size these CTEs and would
      -- nest-loop accepted × bumped (rows × rooms).
      SELECT jsonb_object_agg(id, first_seq) AS of FROM bumped
    ), m AS (
      INSERT INTO messages (id, room_id, seq, type, sender_id, sender_username, text, reply_to, mentions)
      SELECT a.id, a.room_id, (f.of ->> a.room_id::text)::bigint + row_number() OVER (PARTITION BY a.room_id ORDER BY a.ord), 'text', a.sender_id, a.username, a.text, a.reply_to,
        CASE WHEN a.mentions = '' THEN NULL ELSE string_to_array(a.mentions, ',')::uuid[] END
      FROM accepted a CROSS JOIN first_seqs f
      WHERE f.of ? a.room_id::text
      RETURNING ${MESSAGE_COLUMNS}
    ), mentioned AS (
      INSERT INTO message_mentions (user_id, room_id, seq, message_id)
      SELECT x.user_id, m.room_id, m.seq, m.id FROM m CROSS JOIN LATERAL unnest(m.mentions) AS x(user_id)
      WHERE m.mentions IS NOT NULL
    ), push_targets AS MATERIALIZED (${pushTargetsSql('counts')}
    ), job AS (
      INSERT INTO push_outbox (room_id, message_id, seq, sender_id, message_created_at)
      SELECT m.room_id, m.id, m.seq, m.sender_id, m.created_at FROM m CROSS JOIN push_targets p
      WHERE ${mayNotifyInBatchSql('p.of', 'm.room_id', 'm.sender_id')}
    ), attached AS (
      UPDATE attachments SET message_id = ia.message_id, position = ia.position
      FROM input_att ia JOIN m ON m.id = ia.message_id
      WHERE attachments.id = ia.att_id
    ), slowed AS (
      UPDATE memberships SET last_sent_at = now()
      FROM accepted a JOIN m ON m.id = a.id
      WHERE a.slow AND memberships.room_id = a.room_id AND memberships.user_id = a.sender_id
    )
    SELECT ${prefixed('m', MESSAGE_COLUMNS)}, ${REPLY_QUOTE_OF('m')},
      (SELECT json_agg(${ATTACHMENT_JSON('al')} ORDER BY ia.position)
       FROM input_att ia JOIN att_locked al ON al.id = ia.att_id WHERE ia.message_id = m.id) AS attachments
    FROM m`;


const APPEND_JOIN_SQL = appendSql('+ 1', `r.username || ' joined'`);
const APPEND_LEAVE_SQL = appendSql('- 1', `r.username || ' left'`);

/** The Store over one SQL dialect, shared by Postgres (pg) and PGlite. */
export class SqlStore implements Store {
  readonly #direct: DirectRows;

  constructor(readonly db: SqlDatabase) {
    this.#direct = new DirectRows(db);
  }

  /** Runs `fn`, translating database errors into the Store's ChorusErrors. */
  async #run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toStoreError(err);
    }
  }

  async ping(): Promise<void> {
    return this.#run(async () => {
      await this.db.query('SELECT 1');
    });
  }

  async close(): Promise<void> {
    return this.db.close();
  }

  // ---- users

  async createUser(user: NewUser): Promise<User> {
    for (const field of ['username', 'email', 'passwordHash'] as const) {
      if (typeof user[field] !== 'string' || user[field] === '') throw badRequest(`${field} must be a non-empty string`);
    }
    return this.#run(async () => {
      const { rows } = await this.db.query<UserRow>(
        `INSERT INTO users (id, username, email, password_hash) VALUES ($1, $2, $3, $4) RETURNING ${USER_COLUMNS}`,
        [randomUUID(), user.username, user.email, user.passwordHash],
      );
      return toUser(rows[0]!);
    });
  }

  async getUser(id: string): Promise<User | null> {
    if (!isUuid(id)) return null;
    return this.#run(async () => {
      const { rows } = await this.db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1 AND deleted_at IS NULL`, [id]);
      return rows[0] ? toUser(rows[0]) : null;
    });
  }

  async findCredentials(login: string): Promise<UserCredentials | null> {
    if (typeof login !== 'string' || login === '') return null;
    return this.#run(async () => {
      // A username that equals someone else's email is possible; the username wins.
      const { rows } = await this.db.query<UserRow>(
        `SELECT ${USER_COLUMNS} FROM users
         WHERE (lower(username) = lower($1) OR lower(email) = lower($1)) AND deleted_at IS NULL
         ORDER BY lower(username) = lower($1) DESC
         LIMIT 1`,
        [login],
      );
      return rows[0] ? toCredentials(rows[0]) : null;
    });
  }

  // ---- rooms

  async createRoom(room: NewRoom): Promise<Room> {
    if (typeof room.name !== 'string' || room.name === '') throw badRequest('name must be a non-empty string');
    if (typeof room.private !== 'boolean') throw badRequest('private must be a boolean');
    if (!isUuid(room.createdBy)) throw notFound('user not found');
    return this.#run(async () => {
      const { rows } = await this.db.query<RoomRow>(
        `WITH r AS (
           INSERT INTO rooms (id, name, private, created_by, member_count) VALUES ($1, $2, $3, $4, 1)
           RETURNING ${ROOM_COLUMNS}
         ), m AS (
           INSERT INTO memberships (room_id, user_id, role) SELECT id, created_by, 'owner' FROM r
         )
         SELECT * FROM r`,
        [randomUUID(), room.name, room.private, room.createdBy],
      );
      return toRoom(rows[0]!);
    });
  }

  async getRoom(id: string): Promise<Room | null> {
    if (!isUuid(id)) return null;
    return this.#run(async () => {
      const { rows } = await this.db.query<RoomRow>(`SELECT ${ROOM_COLUMNS} FROM rooms WHERE id = $1`, [id]);
      return rows[0] ? toRoom(rows[0]) : null;
    });
  }

  async getRoomForUser(roomId: string, userId: string): Promise<{ room: Room; member: boolean } | null> {
    if (!isUuid(roomId)) return null;
    const user = isUuid(userId) ? userId : null;
    return this.#run(async () => {
      const { rows } = await this.db.query<RoomRow & { is_member: boolean }>(
        `SELECT ${ROOM_COLUMNS}, EXISTS (SELECT 1 FROM memberships m WHERE m.room_id = rooms.id AND m.user_id = $2) AS is_member
         FROM rooms WHERE id = $1`,
        [roomId, user],
      );
      return rows[0] ? { room: toRoom(rows[0]), member: rows[0].is_member } : null;
    });
  }

  async getRoomsForUsers(pairs: ReadonlyArray<{ roomId: string; userId: string }>): Promise<Array<{ room: Room; member: boolean } | null>> {
    const results: Array<{ room: Room; member: boolean } | null> = pairs.map(() => null);
    const asked = pairs.flatMap((pair, i) => (isUuid(pair.roomId) ? [{ i, roomId: pair.roomId, userId: isUuid(pair.userId) ? pair.userId : null }] : []));
    if (asked.length === 0) return results;
    return this.#run(async () => {
      const { rows } = await this.db.query<RoomRow & { is_member: boolean; i: string | number }>(
        `SELECT q.i, ${prefixed('r', ROOM_COLUMNS)},
           EXISTS (SELECT 1 FROM memberships m WHERE m.room_id = r.id AND m.user_id = q.user_id) AS is_member
         FROM unnest($1::uuid[], $2::uuid[], $3::int[]) AS q(room_id, user_id, i)
         JOIN rooms r ON r.id = q.room_id`,
        [asked.map((a) => a.roomId), asked.map((a) => a.userId), asked.map((a) => a.i)],
        // Every room operation and SUBSCRIBE checks access through this one statement.
        { prepare: 'chorus_room_access' },
      );
      for (const row of rows) results[Number(row.i)] = { room: toRoom(row), member: row.is_member };
      return results;
    });
  }

  async listPublicRooms(options: { limit: number; cursor?: string | undefined }): Promise<Page<Room>> {
    const limit = checkLimit(options.limit);
    const after = options.cursor === undefined ? undefined : decodeRoomCursor(options.cursor);
    return this.#run(async () => {
      const params: unknown[] = [limit + 1];
      let where = 'NOT private';
      if (after) {
        params.push(after.createdAt, after.id);
        where += ' AND (created_at, id) < ($2::timestamptz, $3::uuid)';
      }
      const { rows } = await this.db.query<RoomRow & { cursor_ts: string }>(
        `SELECT ${ROOM_COLUMNS}, ${CURSOR_TIMESTAMP_SQL} AS cursor_ts FROM rooms
         WHERE ${where}
         ORDER BY created_at DESC, id DESC
         LIMIT $1`,
        params,
      );
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      const nextCursor = rows.length > limit && last ? encodeRoomCursor({ createdAt: last.cursor_ts, id: last.id }) : null;
      return { items: page.map(toRoom), nextCursor };
    });
  }

  async listMemberRooms(userId: string): Promise<MemberRoom[]> {
    if (!isUuid(userId)) return [];
    return this.#run(async () => {
      const { rows } = await this.db.query<MemberRoomRow>(
        `SELECT ${prefixed('r', ROOM_COLUMNS)}, r.last_seq, m.last_read_seq, r.lifecycle_count - m.lifecycle_read AS lifecycle_unread, ${DIRECT_PEER_OF('r', '$1')}, ${MENTIONS_UNREAD_OF('m')}
         FROM memberships m JOIN rooms r ON r.id = m.room_id
         WHERE m.user_id = $1
         ORDER BY lower(r.name), r.id`,
        [userId],
      );
      return rows.map(toMemberRoom);
    });
  }

  async isMember(roomId: string, userId: string): Promise<boolean> {
    if (!isUuid(roomId) || !isUuid(userId)) return false;
    return this.#run(async () => {
      const { rows } = await this.db.query('SELECT 1 FROM memberships WHERE room_id = $1 AND user_id = $2', [roomId, userId]);
      return rows.length > 0;
    });
  }

  async listMemberIds(roomId: string): Promise<string[]> {
    if (!isUuid(roomId)) return [];
    return this.#run(async () => {
      const { rows } = await this.db.query<{ user_id: string }>(
        'SELECT user_id FROM memberships WHERE room_id = $1 ORDER BY user_id',
        [roomId],
      );
      return rows.map((r) => r.user_id);
    });
  }

  async addMember(roomId: string, userId: string, options: { addedBy?: string } = {}): Promise<MembershipChange> {
    if (!isUuid(roomId)) throw notFound('room not found');
    if (!isUuid(userId)) throw notFound('user not found');
    const byOther = options.addedBy !== undefined && options.addedBy !== userId;
    return this.#run(() =>
      this.db.transaction(async (tx) => {
        const banned = await tx.query('SELECT 1 FROM room_bans WHERE room_id = $1 AND user_id = $2', [roomId, userId]);
        if (banned.rows.length > 0) throw forbidden(byOther ? 'this user is banned from the room' : 'you are banned from this room');
        if (byOther) {
          const departed = await tx.query('SELECT 1 FROM room_departures WHERE room_id = $1 AND user_id = $2', [roomId, userId]);
          if (departed.rows.length > 0) throw forbidden('this user left the room; only they can come back');
        } else {
          await tx.query('DELETE FROM room_departures WHERE room_id = $1 AND user_id = $2', [roomId, userId]);
        }
        const inserted = await tx.query(
          'INSERT INTO memberships (room_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING user_id',
          [roomId, userId],
        );
        if (inserted.rows.length === 0) return { changed: false, message: null };
        const { rows } = await tx.query<MessageRow>(APPEND_JOIN_SQL, [randomUUID(), roomId, userId, 'join']);
        return { changed: true, message: toMessage(rows[0]!) };
      }),
    );
  }

  async removeMember(roomId: string, userId: string): Promise<MembershipChange> {
    if (!isUuid(roomId)) throw notFound('room not found');
    return this.#run(() =>
      this.db.transaction(async (tx) => {
        const deleted = isUuid(userId)
          ? await tx.query<{ role: string }>('DELETE FROM memberships WHERE room_id = $1 AND user_id = $2 RETURNING role', [roomId, userId])
          : { rows: [] };
        // An owner who leaves hands the room on (longest-standing moderator, else member).
        if (deleted.rows[0]?.role === 'owner') await tx.query(PROMOTE_HEIR_SQL, [roomId]);
        if (deleted.rows.length === 0) {
          if (!(await this.#roomExists(tx, roomId))) throw notFound('room not found');
          return { changed: false, message: null };
        }
        await tx.query('INSERT INTO room_departures (room_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [roomId, userId]);
        const { rows } = await tx.query<MessageRow>(APPEND_LEAVE_SQL, [randomUUID(), roomId, userId, 'leave']);
        return { changed: true, message: toMessage(rows[0]!) };
      }),
    );
  }

  async #roomExists(db: SqlDatabase, roomId: string): Promise<boolean> {
    const { rows } = await db.query('SELECT 1 FROM rooms WHERE id = $1', [roomId]);
    return rows.length > 0;
  }

  // ---- messages

  async appendMemberMessages(messages: NewMemberMessage[]): Promise<Array<Message | null>> {
    if (messages.some((m) => typeof m.text !== 'string')) throw badRequest('text must be a string');
    if (messages.some((m) => m.attachments !== undefined && !m.attachments.every(isUuid))) throw badRequest('attachment ids must be uuids');
    if (messages.some((m) => m.replyTo !== undefined && !isUuid(m.replyTo))) throw badRequest('replyTo must be a message id');
    if (messages.some((m) => m.mentions !== undefined && !m.mentions.every(isUuid))) throw badRequest('mentions must be user ids');
    // Ids that are not UUIDs cannot name a row: those inputs get no message id and are
    // answered null without reaching the database.
    const ids = messages.map((m) => (isUuid(m.roomId) && isUuid(m.senderId) ? randomUUID() : null));
    const writable = messages.filter((_, i) => ids[i] !== null);
    if (writable.length === 0) return messages.map(() => null);
    return this.#run(async () => {
      const { rows } = await this.db.query<MessageRow>(APPEND_MEMBER_MESSAGES_SQL, [
        ids.filter((id) => id !== null),
        writable.map((m) => m.roomId),
        writable.map((m) => m.senderId),
        writable.map((m) => m.text),
        writable.map((m) => (m.attachments ?? []).join(',')),
        writable.map((m) => m.replyTo ?? null),
        writable.map((m) => (m.mentions ?? []).join(',')),
      ], { prepare: 'chorus_append_member_messages' });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => {
        const row = id === null ? undefined : byId.get(id);
        return row ? toMessage(row) : null;
      });
    });
  }

  async appendMessage(message: NewMessage): Promise<Message> {
    if (!MESSAGE_TYPES.includes(message.type)) throw badRequest(`type must be one of ${MESSAGE_TYPES.join(', ')}`);
    if (typeof message.text !== 'string') throw badRequest('text must be a string');
    if (!isUuid(message.roomId)) throw notFound('room not found');
    if (!isUuid(message.senderId)) throw notFound('user not found');
    return this.#run(async () => {
      const { rows } = await this.db.query<MessageRow>(APPEND_MESSAGE_SQL, [
        randomUUID(),
        message.roomId,
        message.senderId,
        message.type,
        message.text,
      ]);
      if (rows[0]) return toMessage(rows[0]);
      // Nothing was written; say which of the two was missing.
      throw notFound((await this.#roomExists(this.db, message.roomId)) ? 'user not found' : 'room not found');
    });
  }

  async appendLifecycleEvent(event: NewLifecycleEvent): Promise<Message | null> {
    if (event.type !== 'edit' && event.type !== 'delete') throw badRequest('type must be edit or delete');
    const text = event.type === 'edit' ? event.text : '';
    if (typeof text !== 'string') throw badRequest('text must be a string');
    if (event.mentions !== undefined && !event.mentions.every(isUuid)) throw badRequest('mentions must be user ids');
    if (!isUuid(event.roomId) || !isUuid(event.actorId) || !isUuid(event.targetId)) return null;
    return this.#run(async () => {
      if (event.type === 'edit') {
        const row = await appendEdit(this.db, { roomId: event.roomId, actorId: event.actorId, targetId: event.targetId, text, mentions: event.mentions ?? [] });
        return row ? toMessage(row) : null;
      }
      const { rows } = await this.db.query<MessageRow>(DELETE_SQL, [randomUUID(), event.roomId, event.actorId, event.targetId, text]);
      return rows[0] ? toMessage(rows[0]) : null;
    });
  }

  async getMessage(roomId: string, messageId: string): Promise<Message | null> {
    if (!isUuid(roomId) || !isUuid(messageId)) return null;
    return this.#run(async () => {
      const { rows } = await this.db.query<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS}, ${ATTACHMENTS_OF('messages')}, ${REPLY_QUOTE_OF('messages')} FROM messages WHERE room_id = $1 AND id = $2`,
        [roomId, messageId],
      );
      return rows[0] ? toMessage(rows[0]) : null;
    });
  }

  async listMessages(roomId: string, query: HistoryQuery): Promise<Message[]> {
    const limit = checkLimit(query.limit);
    const before = query.before === undefined ? undefined : checkSeq('before', query.before);
    const after = query.after === undefined ? undefined : checkSeq('after', query.after);
    if (!isUuid(roomId)) return [];
    return this.#run(async () => {
      const params: unknown[] = [roomId, limit];
      const conditions = ['room_id = $1'];
      if (after !== undefined) conditions.push(`seq > $${params.push(after)}`);
      if (before !== undefined) conditions.push(`seq < $${params.push(before)}`);
      // With `after`, the oldest messages after it; otherwise the newest before `before`.
      const direction = after !== undefined ? 'ASC' : 'DESC';
      // One named statement per shape (four): pages and replays are read all the time.
      const shape = `${after !== undefined ? 'after' : ''}${before !== undefined ? 'before' : ''}` || 'latest';
      const { rows } = await this.db.query<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS}, ${ATTACHMENTS_OF('messages')}, ${REPLY_QUOTE_OF('messages')} FROM messages WHERE ${conditions.join(' AND ')} ORDER BY seq ${direction} LIMIT $2`,
        params,
        { prepare: `chorus_history_${shape}` },
      );
      const messages = rows.map(toMessage);
      return direction === 'DESC' ? messages.reverse() : messages;
    });
  }

  async lastSeq(roomId: string): Promise<number | null> {
    if (!isUuid(roomId)) return null;
    return this.#run(async () => {
      const { rows } = await this.db.query<{ last_seq: string | number }>('SELECT last_seq FROM rooms WHERE id = $1', [roomId]);
      return rows[0] ? toNumber(rows[0].last_seq) : null;
    });
  }

  async searchMessages(query: SearchQuery): Promise<Message[]> {
    const limit = checkLimit(query.limit);
    if (typeof query.text !== 'string') throw badRequest('search text must be a string');
    if (!isUuid(query.userId) || (query.roomId !== undefined && !isUuid(query.roomId))) return [];
    if (query.text.trim() === '') return [];
    return this.#run(async () => {
      const params: unknown[] = [query.userId, query.text, limit];
      const roomFilter = query.roomId === undefined ? '' : `AND m.room_id = $${params.push(query.roomId)}`;
      const { rows } = await this.db.query<MessageRow>(
        `SELECT ${prefixed('m', MESSAGE_COLUMNS)}, ${ATTACHMENTS_OF('m')}, ${REPLY_QUOTE_OF('m')}
         FROM messages m JOIN memberships mb ON mb.room_id = m.room_id AND mb.user_id = $1
         WHERE m.type = 'text' ${roomFilter}
           AND m.id IN (
             SELECT id FROM messages WHERE type = 'text' AND search @@ websearch_to_tsquery('simple', $2)
             UNION
             SELECT message_id FROM attachments WHERE message_id IS NOT NULL AND search @@ websearch_to_tsquery('simple', $2)
           )
         ORDER BY m.created_at DESC, m.seq DESC
         LIMIT $3`,
        params,
      );
      return rows.map(toMessage);
    });
  }

  async markRead(roomId: string, userId: string, seq: number): Promise<number> {
    checkSeq('seq', seq);
    if (!isUuid(roomId)) throw notFound('room not found');
    if (!isUuid(userId)) throw notFound('not a member of this room');
    return this.#run(async () => {
      // Writes only when the position moves forward; otherwise reads the current one.
      const { rows } = await this.db.query<{ last_read_seq: string | number | null }>(
        `WITH moved AS (
           -- Also counts the edit/delete entries the position moves over (unread counts skip them).
           UPDATE memberships m SET last_read_seq = LEAST($3::bigint, r.last_seq),
             lifecycle_read = m.lifecycle_read + (
               SELECT count(*) FROM messages x
               WHERE x.room_id = m.room_id AND x.seq > m.last_read_seq AND x.seq <= LEAST($3::bigint, r.last_seq) AND x.type IN ('edit', 'delete', 'reaction')
             )
           FROM rooms r
           WHERE r.id = m.room_id AND m.room_id = $1 AND m.user_id = $2 AND m.last_read_seq < LEAST($3::bigint, r.last_seq)
           RETURNING m.last_read_seq
         )
         SELECT COALESCE(
           (SELECT last_read_seq FROM moved),
           (SELECT last_read_seq FROM memberships WHERE room_id = $1 AND user_id = $2)
         ) AS last_read_seq`,
        [roomId, userId, seq],
      );
      const position = rows[0]?.last_read_seq;
      if (position === null || position === undefined) {
        throw notFound((await this.#roomExists(this.db, roomId)) ? 'not a member of this room' : 'room not found');
      }
      return toNumber(position);
    });
  }

  // ---- attachments

  async createAttachment(a: NewAttachment): Promise<StoredAttachment> {
    if (!isUuid(a.id)) throw badRequest('attachment id must be a uuid');
    if (!isUuid(a.roomId)) throw notFound('room not found');
    if (!isUuid(a.uploaderId)) throw notFound('room not found');
    return this.#run(async () => {
      const { rows } = await this.db.query<AttachmentRow>(
        `INSERT INTO attachments (id, room_id, uploader_id, name, content_type, size, width, height, object_key, thumbnail_key)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
         WHERE EXISTS (SELECT 1 FROM memberships WHERE room_id = $2 AND user_id = $3)
         RETURNING ${ATTACHMENT_COLUMNS}`,
        [a.id, a.roomId, a.uploaderId, a.name, a.contentType, a.size, a.width ?? null, a.height ?? null, a.objectKey, a.thumbnailKey ?? null],
      );
      if (!rows[0]) throw notFound('room not found');
      return toStoredAttachment(rows[0]);
    });
  }

  async getAttachment(id: string): Promise<StoredAttachment | null> {
    if (!isUuid(id)) return null;
    return this.#run(async () => {
      const { rows } = await this.db.query<AttachmentRow>(`SELECT ${ATTACHMENT_COLUMNS} FROM attachments WHERE id = $1`, [id]);
      return rows[0] ? toStoredAttachment(rows[0]) : null;
    });
  }

  async getAttachmentForMember(id: string, userId: string): Promise<StoredAttachment | null> {
    if (!isUuid(id) || !isUuid(userId)) return null;
    return this.#run(async () => {
      const { rows } = await this.db.query<AttachmentRow>(
        `SELECT ${prefixed('a', ATTACHMENT_COLUMNS)} FROM attachments a
         JOIN memberships ms ON ms.room_id = a.room_id AND ms.user_id = $2
         WHERE a.id = $1`,
        [id, userId],
      );
      return rows[0] ? toStoredAttachment(rows[0]) : null;
    });
  }

  async deleteUnsentAttachments(createdBefore: Date, limit: number): Promise<StoredAttachment[]> {
    checkLimit(limit);
    return this.#run(async () => {
      const { rows } = await this.db.query<AttachmentRow>(
        `DELETE FROM attachments WHERE id IN (
           SELECT id FROM attachments WHERE message_id IS NULL AND created_at < $1 ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED
         ) AND message_id IS NULL
         RETURNING ${ATTACHMENT_COLUMNS}`,
        [createdBefore, limit],
      );
      return rows.map(toStoredAttachment);
    });
  }

  async existingAttachmentIds(ids: readonly string[]): Promise<Set<string>> {
    const valid = [...new Set(ids.filter(isUuid))];
    if (valid.length === 0) return new Set();
    return this.#run(async () => {
      const { rows } = await this.db.query<{ id: string }>('SELECT id FROM attachments WHERE id = ANY($1::uuid[])', [valid]);
      return new Set(rows.map((r) => r.id));
    });
  }

  // ---- devices

  async upsertDevice(userId: string, token: string, platform: DevicePlatform): Promise<Device> {
    checkDevice(token, platform);
    if (!isUuid(userId)) throw notFound('user not found');
    return this.#run(async () => {
      const { rows } = await this.db.query<DeviceRow>(
        `INSERT INTO devices (token, user_id, platform) VALUES ($1, $2, $3)
         ON CONFLICT (token) DO UPDATE SET user_id = EXCLUDED.user_id, platform = EXCLUDED.platform, updated_at = now()
         RETURNING ${DEVICE_COLUMNS}`,
        [token, userId, platform],
      );
      return toDevice(rows[0]!);
    });
  }

  async deleteDevice(userId: string, token: string): Promise<boolean> {
    if (!isUuid(userId) || typeof token !== 'string') return false;
    return this.#run(async () => {
      const { rows } = await this.db.query('DELETE FROM devices WHERE token = $1 AND user_id = $2 RETURNING token', [token, userId]);
      return rows.length > 0;
    });
  }

  async listDevices(userId: string): Promise<Device[]> {
    if (!isUuid(userId)) return [];
    return this.#run(async () => {
      const { rows } = await this.db.query<DeviceRow>(
        `SELECT ${DEVICE_COLUMNS} FROM devices WHERE user_id = $1 ORDER BY created_at, token`,
        [userId],
      );
      return rows.map(toDevice);
    });
  }

  // ---- push

  async muteRoom(roomId: string, userId: string, until: string | null): Promise<RoomMute> {
    if (until !== null && (typeof until !== 'string' || Number.isNaN(Date.parse(until)))) throw badRequest('until must be an ISO-8601 date-time or null');
    if (until !== null && Date.parse(until) <= Date.now()) throw badRequest('until must be in the future');
    if (!isUuid(roomId)) throw notFound('room not found');
    if (!isUuid(userId)) throw notFound('not a member of this room');
    return this.#run(async () => {
      const { rows } = await this.db.query<MuteRow>(
        `INSERT INTO room_mutes (room_id, user_id, muted_until)
         SELECT room_id, user_id, $3::timestamptz FROM memberships WHERE room_id = $1 AND user_id = $2
         ON CONFLICT (room_id, user_id) DO UPDATE SET muted_until = EXCLUDED.muted_until, created_at = now()
         RETURNING room_id, user_id, muted_until`,
        [roomId, userId, until],
      );
      if (!rows[0]) throw notFound((await this.#roomExists(this.db, roomId)) ? 'not a member of this room' : 'room not found');
      return toMute(rows[0]);
    });
  }

  async unmuteRoom(roomId: string, userId: string): Promise<boolean> {
    if (!isUuid(roomId) || !isUuid(userId)) return false;
    return this.#run(async () => {
      const { rows } = await this.db.query('DELETE FROM room_mutes WHERE room_id = $1 AND user_id = $2 RETURNING user_id', [roomId, userId]);
      return rows.length > 0;
    });
  }

  async getRoomMute(roomId: string, userId: string): Promise<RoomMute | null> {
    if (!isUuid(roomId) || !isUuid(userId)) return null;
    return this.#run(async () => {
      const { rows } = await this.db.query<MuteRow>(
        `SELECT room_id, user_id, muted_until FROM room_mutes
         WHERE room_id = $1 AND user_id = $2 AND (muted_until IS NULL OR muted_until > now())`,
        [roomId, userId],
      );
      return rows[0] ? toMute(rows[0]) : null;
    });
  }

  async listPushRecipients(roomId: string): Promise<PushRecipient[]> {
    return (await this.listPushRecipientsByRoom([roomId])).get(roomId) ?? [];
  }

  async listPushRecipientsByRoom(roomIds: readonly string[], mentioned?: ReadonlyMap<string, readonly string[]>): Promise<Map<string, PushRecipient[]>> {
    const byRoom = new Map<string, Map<string, PushRecipient>>();
    const ids = [...new Set(roomIds.filter(isUuid))];
    if (ids.length > 0) {
      const rows = await this.#run(async () => {
        const result = await this.db.query<{ room_id: string; user_id: string; unread: string | number; token: string; platform: DevicePlatform }>(
          `WITH recipients AS MATERIALIZED (
             -- Members who can be notified (have a device) and are not muted; only they get an
             -- unread count (materialized so the count never runs for anyone else).
             SELECT m.room_id, m.user_id, m.last_read_seq, r.last_seq
             FROM memberships m JOIN rooms r ON r.id = m.room_id
             WHERE m.room_id = ANY($1::uuid[])
               AND EXISTS (SELECT 1 FROM devices d WHERE d.user_id = m.user_id)
               AND NOT EXISTS (
                 SELECT 1 FROM room_mutes x
                 WHERE x.room_id = m.room_id AND x.user_id = m.user_id AND (x.muted_until IS NULL OR x.muted_until > now())
               )
           )
           SELECT p.room_id, p.user_id, u.unread, d.token, d.platform
           FROM recipients p
           -- Text messages from others after the read position, among the room's newest
           -- PUSH_UNREAD_CAP messages: an index range scan of bounded length, even for a member
           -- whose own messages (never counted) fill the room.
           CROSS JOIN LATERAL (
             SELECT count(*) AS unread FROM messages x
             WHERE x.room_id = p.room_id AND x.seq > GREATEST(p.last_read_seq, p.last_seq - ${PUSH_UNREAD_CAP})
               AND x.type = 'text' AND x.sender_id <> p.user_id
           ) u
           JOIN devices d ON d.user_id = p.user_id
           ORDER BY p.room_id, p.user_id, d.created_at, d.token`,
          [ids],
        );
        return result.rows;
      });
      for (const row of rows) {
        let byUser = byRoom.get(row.room_id);
        if (!byUser) byRoom.set(row.room_id, (byUser = new Map()));
        let recipient = byUser.get(row.user_id);
        if (!recipient) byUser.set(row.user_id, (recipient = { userId: row.user_id, unread: toNumber(row.unread), devices: [] }));
        recipient.devices.push({ token: row.token, platform: row.platform });
      }
      if (mentioned && mentioned.size > 0) await this.#addMentionedRecipients(byRoom, mentioned);
    }
    return new Map(roomIds.map((roomId) => [roomId, [...(byRoom.get(roomId)?.values() ?? [])]]));
  }

  // ---- account lifecycle (SQL in account-sql.ts)

  async getCredentials(userId: string): Promise<UserCredentials | null> {
    return this.#run(() => accounts.getCredentialsById(this.db, userId));
  }

  async getTokenGeneration(userId: string): Promise<number | null> {
    return this.#run(() => accounts.getTokenGeneration(this.db, userId));
  }

  async revokeTokens(userId: string, passwordHash?: string): Promise<number | null> {
    return this.#run(() => accounts.revokeTokens(this.db, userId, passwordHash));
  }

  async deleteAccount(userId: string): Promise<AccountDeletion | null> {
    return this.#run(() => accounts.deleteAccount(this.db, userId));
  }
  // ---- moderation (moderation-sql.ts)

  #moderationSql: ModerationSql | null = null;
  get #moderation(): ModerationSql {
    return (this.#moderationSql ??= new ModerationSql(this.db, APPEND_LEAVE_SQL, (fn) => this.#run(fn)));
  }
  getModerationState: Store['getModerationState'] = (...a) => this.#moderation.getModerationState(...a);
  listRoomMembers: Store['listRoomMembers'] = (...a) => this.#moderation.listRoomMembers(...a);
  setMemberRole: Store['setMemberRole'] = (...a) => this.#moderation.setMemberRole(...a);
  transferOwnership: Store['transferOwnership'] = (...a) => this.#moderation.transferOwnership(...a);
  removeMemberBy: Store['removeMemberBy'] = (...a) => this.#moderation.removeMemberBy(...a);
  unbanUser: Store['unbanUser'] = (...a) => this.#moderation.unbanUser(...a);
  listBans: Store['listBans'] = (...a) => this.#moderation.listBans(...a);
  isBanned: Store['isBanned'] = (...a) => this.#moderation.isBanned(...a);
  setRoomTimeout: Store['setRoomTimeout'] = (...a) => this.#moderation.setRoomTimeout(...a);
  updateRoomSettings: Store['updateRoomSettings'] = (...a) => this.#moderation.updateRoomSettings(...a);
  deleteRoom: Store['deleteRoom'] = (...a) => this.#moderation.deleteRoom(...a);
  appendModerationLog: Store['appendModerationLog'] = (...a) => this.#moderation.appendModerationLog(...a);
  listModerationLog: Store['listModerationLog'] = (...a) => this.#moderation.listModerationLog(...a);

  // ---- direct rooms, user search, blocks (SQL in direct-rows.ts)

  openDirectRoom(userId: string, otherId: string): Promise<{ room: Room; created: boolean } | null> {
    return this.#direct.openDirectRoom(userId, otherId);
  }

  getDirectState(roomId: string, userId: string): Promise<DirectState | null> {
    return this.#direct.getDirectState(roomId, userId);
  }

  searchUsers(prefix: string, limit: number): Promise<UserSummary[]> {
    return this.#direct.searchUsers(prefix, checkLimit(limit));
  }

  blockUser(blockerId: string, blockedId: string, maxBlocks: number): Promise<'added' | 'exists' | 'full' | 'unknown'> {
    return this.#direct.blockUser(blockerId, blockedId, maxBlocks);
  }

  unblockUser(blockerId: string, blockedId: string): Promise<boolean> {
    return this.#direct.unblockUser(blockerId, blockedId);
  }

  listBlocks(blockerId: string, limit: number): Promise<UserSummary[]> {
    return this.#direct.listBlocks(blockerId, checkLimit(limit));
  }

  isBlocked(blockerId: string, blockedId: string): Promise<boolean> {
    return this.#direct.isBlocked(blockerId, blockedId);
  }

  /** Members who muted the room but let mentions through, for the rooms whose claimed messages mention them. */
  async #addMentionedRecipients(byRoom: Map<string, Map<string, PushRecipient>>, mentioned: ReadonlyMap<string, readonly string[]>): Promise<void> {
    const rooms: string[] = [];
    const users: string[] = [];
    for (const [roomId, userIds] of mentioned) {
      if (!isUuid(roomId)) continue;
      for (const userId of new Set(userIds)) {
        if (!isUuid(userId) || byRoom.get(roomId)?.has(userId)) continue;
        rooms.push(roomId);
        users.push(userId);
      }
    }
    if (rooms.length === 0) return;
    const { rows } = await this.#run(() =>
      this.db.query<{ room_id: string; user_id: string; unread: string | number; token: string; platform: DevicePlatform }>(MENTION_PUSH_RECIPIENTS_SQL, [rooms, users]),
    );
    for (const row of rows) {
      let byUser = byRoom.get(row.room_id);
      if (!byUser) byRoom.set(row.room_id, (byUser = new Map()));
      let recipient = byUser.get(row.user_id);
      if (!recipient) byUser.set(row.user_id, (recipient = { userId: row.user_id, unread: toNumber(row.unread), devices: [], mentionsOnly: true }));
      recipient.devices.push({ token: row.token, platform: row.platform });
    }
  }

  // ---- reactions, mentions, user settings (SQL in reaction-rows.ts)

  changeReaction(change: ReactionChange): Promise<ReactionResult | null> {
    if (!isUuid(change.roomId) || !isUuid(change.messageId) || !isUuid(change.actorId)) return Promise.resolve(null);
    if (typeof change.emoji !== 'string' || change.emoji === '') throw badRequest('emoji must be a non-empty string');
    return this.#run(() => changeReaction(this.db, change));
  }

  listOwnReactions(userId: string, messageIds: readonly string[]): Promise<Map<string, Set<string>>> {
    const ids = [...new Set(messageIds.filter(isUuid))];
    if (!isUuid(userId) || ids.length === 0) return Promise.resolve(new Map());
    return this.#run(() => listOwnReactions(this.db, userId, ids));
  }

  findMembersByUsername(roomId: string, usernames: readonly string[]): Promise<Array<{ id: string; username: string }>> {
    const names = [...new Set(usernames.filter((n) => typeof n === 'string' && n !== '').map((n) => n.toLowerCase()))];
    if (!isUuid(roomId) || names.length === 0) return Promise.resolve([]);
    return this.#run(() => findMembersByUsername(this.db, roomId, names));
  }

  getUserSettings(userId: string): Promise<UserSettings | null> {
    if (!isUuid(userId)) return Promise.resolve(null);
    return this.#run(() => getUserSettings(this.db, userId));
  }

  updateUserSettings(userId: string, settings: Partial<UserSettings>): Promise<UserSettings | null> {
    if (settings.notifyMentionsWhenMuted !== undefined && typeof settings.notifyMentionsWhenMuted !== 'boolean') throw badRequest('notifyMentionsWhenMuted must be a boolean');
    if (!isUuid(userId)) return Promise.resolve(null);
    return this.#run(() => updateUserSettings(this.db, userId, settings));
  }
}

interface MuteRow {
  room_id: string;
  user_id: string;
  muted_until: Timestamp | null;
}

function toMute(row: MuteRow): RoomMute {
  return { roomId: row.room_id, userId: row.user_id, until: row.muted_until === null ? null : isoTimestamp(row.muted_until) };
}
