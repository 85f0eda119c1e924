import { randomUUID } from 'node:crypto';
import type { ModerationAction, ModerationLogEntry, RoomBan, RoomMember, RoomRole, RoomSettings } from '../domain/moderation.js';
import { badRequest, notFound } from '../errors.js';
import { checkLimit, isUuid } from './input.js';
import type { ModerationState, ModerationStore, NewModerationLogEntry, RoomSettingsPatch } from './moderation-store.js';
import { toMessage, type MessageRow } from './rows.js';
import type { SqlDatabase } from './sql-database.js';
import type { MembershipChange } from './store.js';
import { isoTimestamp, type Timestamp } from './timestamps.js';

/** The room's next owner after its owner left: its longest-standing moderator, else member. */
export const PROMOTE_HEIR_SQL = `
    UPDATE memberships SET role = 'owner'
    WHERE room_id = $1 AND user_id = (
      SELECT user_id FROM memberships WHERE room_id = $1
      ORDER BY role = 'moderator' DESC, joined_at, user_id LIMIT 1
    )`;


/**
 * The send gate: the part of the group-commit append (APPEND_MEMBER_MESSAGES_SQL) that refuses
 * what moderation forbids, in the same statement as the membership check, so a send costs no
 * extra round trip whether or not moderation is in use. Aliases: `i` the input row, `ms` the
 * sender's membership, `gr` the room; `i.n` is how many inputs of the batch share i's room and sender.
 * ModerationService's sendRefusal (room-rules.ts) says why a refused send was refused: keep the two in step.
 * - announcement rooms: members do not post;
 * - slow mode: a member posts when their last message is at least slow_mode_seconds old, and
 *   one message per batch (several at once are refused together);
 * - timeouts: nobody with a timeout in force posts.
 */
export const SEND_GATE_SQL = `(ms.role <> 'member' OR (NOT gr.announcement AND (gr.slow_mode_seconds = 0 OR (i.n = 1
        AND (ms.last_sent_at IS NULL OR ms.last_sent_at <= now() - make_interval(secs => gr.slow_mode_seconds))))))
      AND NOT EXISTS (SELECT 1 FROM room_timeouts rt WHERE rt.room_id = i.room_id AND rt.user_id = i.sender_id AND rt.until > now())`;

/** Whether an accepted input must record its time for slow mode (same aliases as SEND_GATE_SQL). */
export const SLOW_MODE_FLAG_SQL = `(gr.slow_mode_seconds > 0 AND ms.role = 'member')`;

const LOG_INSERT = `INSERT INTO room_moderation_log (room_id, actor_id, action, target_id, detail) VALUES ($1, $2, $3, $4, $5::jsonb)`;

const ROLE_RANK_SQL = `CASE m.role WHEN 'owner' THEN 0 WHEN 'moderator' THEN 1 ELSE 2 END`;

interface LogRow {
  id: string | number;
  room_id: string;
  actor_id: string | null;
  actor_username: string | null;
  action: ModerationAction;
  target_id: string | null;
  detail: unknown;
  created_at: Timestamp;
}

interface SettingsRow {
  id: string;
  name: string;
  topic: string;
  announcement: boolean;
  slow_mode_seconds: number;
  settings_version: string | number;
}

const SETTINGS_COLUMNS = 'id, name, topic, announcement, slow_mode_seconds, settings_version';

function toSettings(row: SettingsRow): RoomSettings {
  return { roomId: row.id, name: row.name, topic: row.topic, announcement: row.announcement, slowModeSeconds: Number(row.slow_mode_seconds), version: Number(row.settings_version) };
}

/**
 * ModerationStore over SQL, used by SqlStore. `leaveSql` is the store's leave-message append
 * ($1 id, $2 room, $3 user, $4 'leave'); `run` translates driver errors into ChorusErrors.
 */
export class ModerationSql implements ModerationStore {
  constructor(
    private readonly db: SqlDatabase,
    private readonly leaveSql: string,
    private readonly run: <T>(fn: () => Promise<T>) => Promise<T>,
  ) {}

  async #log(db: SqlDatabase, roomId: string, entry: NewModerationLogEntry): Promise<void> {
    await db.query(LOG_INSERT, [roomId, entry.actorId, entry.action, entry.targetId ?? null, JSON.stringify(entry.detail ?? {})]);
  }

  async getModerationState(roomId: string, userId: string): Promise<ModerationState | null> {
    if (!isUuid(roomId)) return null;
    const user = isUuid(userId) ? userId : null;
    return this.run(async () => {
      const { rows } = await this.db.query<SettingsRow & { private: boolean; role: RoomRole | null; last_sent_at: Timestamp | null; banned: boolean; timed_out_until: Timestamp | null }>(
        `SELECT r.${SETTINGS_COLUMNS.split(', ').join(', r.')}, r.private, m.role, m.last_sent_at,
           EXISTS (SELECT 1 FROM room_bans b WHERE b.room_id = r.id AND b.user_id = $2) AS banned,
           (SELECT t.until FROM room_timeouts t WHERE t.room_id = r.id AND t.user_id = $2 AND t.until > now()) AS timed_out_until
         FROM rooms r LEFT JOIN memberships m ON m.room_id = r.id AND m.user_id = $2
         WHERE r.id = $1`,
        [roomId, user],
      );
      const row = rows[0];
      if (!row) return null;
      return {
        room: { ...toSettings(row), private: row.private },
        member: row.role === null ? null : { role: row.role, lastSentAt: row.last_sent_at === null ? null : isoTimestamp(row.last_sent_at) },
        banned: row.banned,
        timedOutUntil: row.timed_out_until === null ? null : isoTimestamp(row.timed_out_until),
      };
    });
  }

  async listRoomMembers(roomId: string, options: { limit: number; after?: string | undefined }): Promise<RoomMember[]> {
    const limit = checkLimit(options.limit);
    if (!isUuid(roomId)) return [];
    return this.run(async () => {
      const { rows } = await this.db.query<{ user_id: string; username: string; role: RoomRole }>(
        `SELECT m.user_id, u.username, m.role FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.room_id = $1 AND ($3::text IS NULL OR lower(u.username) > lower($3::text))
         ORDER BY ${ROLE_RANK_SQL}, lower(u.username)
         LIMIT $2`,
        [roomId, limit, options.after ?? null],
      );
      return rows.map((r) => ({ userId: r.user_id, username: r.username, role: r.role }));
    });
  }

  async setMemberRole(roomId: string, userId: string, role: 'moderator' | 'member', from: readonly RoomRole[], log: NewModerationLogEntry): Promise<boolean> {
    if (!isUuid(roomId) || !isUuid(userId)) return false;
    return this.run(() =>
      this.db.transaction(async (tx) => {
        const { rows } = await tx.query(
          `UPDATE memberships SET role = $3 WHERE room_id = $1 AND user_id = $2 AND role = ANY($4::text[]) AND role <> 'owner' RETURNING user_id`,
          [roomId, userId, role, [...from]],
        );
        if (rows.length === 0) return false;
        await this.#log(tx, roomId, log);
        return true;
      }),
    );
  }

  async transferOwnership(roomId: string, fromId: string, toId: string, log: NewModerationLogEntry): Promise<boolean> {
    if (!isUuid(roomId) || !isUuid(fromId) || !isUuid(toId) || fromId === toId) return false;
    return this.run(() =>
      this.db.transaction(async (tx) => {
        // The old owner steps down first: at most one owner per room (a unique index).
        const down = await tx.query(`UPDATE memberships SET role = 'moderator' WHERE room_id = $1 AND user_id = $2 AND role = 'owner' RETURNING user_id`, [roomId, fromId]);
        if (down.rows.length === 0) return false;
        const up = await tx.query(`UPDATE memberships SET role = 'owner' WHERE room_id = $1 AND user_id = $2 RETURNING user_id`, [roomId, toId]);
        if (up.rows.length === 0) throw notFound('the new owner must be a member of the room');
        await this.#log(tx, roomId, log);
        return true;
      }),
    );
  }

  async removeMemberBy(roomId: string, userId: string, options: { ban: boolean; from: readonly RoomRole[] }, log: NewModerationLogEntry): Promise<MembershipChange> {
    if (!isUuid(roomId)) throw notFound('room not found');
    if (!isUuid(userId)) throw notFound('user not found');
    return this.run(() =>
      this.db.transaction(async (tx) => {
        if (options.ban) {
          await tx.query('INSERT INTO room_bans (room_id, user_id, banned_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [roomId, userId, log.actorId]);
        }
        const deleted = await tx.query(
          `DELETE FROM memberships WHERE room_id = $1 AND user_id = $2 AND role = ANY($3::text[]) AND role <> 'owner' RETURNING user_id`,
          [roomId, userId, [...options.from]],
        );
        let change: MembershipChange = { changed: false, message: null };
        if (deleted.rows.length > 0) {
          const { rows } = await tx.query<MessageRow>(this.leaveSql, [randomUUID(), roomId, userId, 'leave']);
          change = { changed: true, message: toMessage(rows[0]!) };
        }
        if (change.changed || options.ban) await this.#log(tx, roomId, log);
        return change;
      }),
    );
  }

  async unbanUser(roomId: string, userId: string, log: NewModerationLogEntry): Promise<boolean> {
    if (!isUuid(roomId) || !isUuid(userId)) return false;
    return this.run(() =>
      this.db.transaction(async (tx) => {
        const { rows } = await tx.query('DELETE FROM room_bans WHERE room_id = $1 AND user_id = $2 RETURNING user_id', [roomId, userId]);
        if (rows.length === 0) return false;
        await this.#log(tx, roomId, log);
        return true;
      }),
    );
  }

  async listBans(roomId: string, options: { limit: number }): Promise<RoomBan[]> {
    const limit = checkLimit(options.limit);
    if (!isUuid(roomId)) return [];
    return this.run(async () => {
      const { rows } = await this.db.query<{ user_id: string; username: string; banned_by: string | null; created_at: Timestamp }>(
        `SELECT b.user_id, u.username, b.banned_by, b.created_at FROM room_bans b JOIN users u ON u.id = b.user_id
         WHERE b.room_id = $1 ORDER BY b.created_at DESC, b.user_id LIMIT $2`,
        [roomId, limit],
      );
      return rows.map((r) => ({ userId: r.user_id, username: r.username, bannedBy: r.banned_by, createdAt: isoTimestamp(r.created_at) }));
    });
  }

  async isBanned(roomId: string, userId: string): Promise<boolean> {
    if (!isUuid(roomId) || !isUuid(userId)) return false;
    return this.run(async () => {
      const { rows } = await this.db.query('SELECT 1 FROM room_bans WHERE room_id = $1 AND user_id = $2', [roomId, userId]);
      return rows.length > 0;
    });
  }

  async setRoomTimeout(roomId: string, userId: string, until: string | null, log: NewModerationLogEntry): Promise<void> {
    if (!isUuid(roomId)) throw notFound('room not found');
    if (!isUuid(userId)) throw notFound('user not found');
    if (until !== null && Number.isNaN(Date.parse(until))) throw badRequest('until must be a timestamp');
    await this.run(() =>
      this.db.transaction(async (tx) => {
        if (until === null) await tx.query('DELETE FROM room_timeouts WHERE room_id = $1 AND user_id = $2', [roomId, userId]);
        else {
          await tx.query(
            `INSERT INTO room_timeouts (room_id, user_id, until) VALUES ($1, $2, $3)
             ON CONFLICT (room_id, user_id) DO UPDATE SET until = EXCLUDED.until`,
            [roomId, userId, until],
          );
        }
        await this.#log(tx, roomId, log);
      }),
    );
  }

  async updateRoomSettings(roomId: string, patch: RoomSettingsPatch, log: readonly NewModerationLogEntry[]): Promise<RoomSettings | null> {
    if (!isUuid(roomId)) return null;
    return this.run(() =>
      this.db.transaction(async (tx) => {
        const { rows } = await tx.query<SettingsRow>(
          `UPDATE rooms SET name = COALESCE($2, name), topic = COALESCE($3, topic),
             announcement = COALESCE($4, announcement), slow_mode_seconds = COALESCE($5, slow_mode_seconds),
             settings_version = settings_version + 1
           WHERE id = $1 RETURNING ${SETTINGS_COLUMNS}`,
          [roomId, patch.name ?? null, patch.topic ?? null, patch.announcement ?? null, patch.slowModeSeconds ?? null],
        );
        if (!rows[0]) return null;
        for (const entry of log) await this.#log(tx, roomId, entry);
        return toSettings(rows[0]);
      }),
    );
  }

  async deleteRoom(roomId: string): Promise<string[] | null> {
    if (!isUuid(roomId)) return null;
    return this.run(() =>
      this.db.transaction(async (tx) => {
        const members = await tx.query<{ user_id: string }>('SELECT user_id FROM memberships WHERE room_id = $1', [roomId]);
        // Messages, memberships, attachment rows, push jobs, mutes, bans, timeouts and the log cascade;
        // the attachment objects go with the orphan-object sweep (docs/moderation.md).
        const { rows } = await tx.query('DELETE FROM rooms WHERE id = $1 RETURNING id', [roomId]);
        return rows.length === 0 ? null : members.rows.map((r) => r.user_id);
      }),
    );
  }

  async appendModerationLog(roomId: string, entry: NewModerationLogEntry): Promise<void> {
    if (!isUuid(roomId)) throw notFound('room not found');
    await this.run(() => this.#log(this.db, roomId, entry));
  }

  async listModerationLog(roomId: string, options: { limit: number; before?: number | undefined }): Promise<ModerationLogEntry[]> {
    const limit = checkLimit(options.limit);
    if (!isUuid(roomId)) return [];
    return this.run(async () => {
      const { rows } = await this.db.query<LogRow>(
        `SELECT l.id, l.room_id, l.actor_id, u.username AS actor_username, l.action, l.target_id, l.detail, l.created_at
         FROM room_moderation_log l LEFT JOIN users u ON u.id = l.actor_id
         WHERE l.room_id = $1 AND ($3::bigint IS NULL OR l.id < $3::bigint)
         ORDER BY l.id DESC LIMIT $2`,
        [roomId, limit, options.before ?? null],
      );
      return rows.map((r) => ({
        id: Number(r.id),
        roomId: r.room_id,
        actorId: r.actor_id,
        actorUsername: r.actor_username,
        action: r.action,
        targetId: r.target_id,
        detail: (typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail) as Record<string, unknown>,
        createdAt: isoTimestamp(r.created_at),
      }));
    });
  }
}
