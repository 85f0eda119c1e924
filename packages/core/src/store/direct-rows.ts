import { randomUUID } from 'node:crypto';
import type { Room, UserSummary } from '../domain/types.js';
import { badRequest } from '../errors.js';
import { isUuid } from './input.js';
import { ROOM_COLUMNS, toRoom, type RoomRow } from './rows.js';
import type { SqlDatabase } from './sql-database.js';
import { toStoreError } from './sql-errors.js';
import type { DirectState } from './store.js';

/**
 * The SQL of direct rooms, user search and blocks (docs/conversations-dms.md), kept out of
 * sql-store.ts. SqlStore delegates its Store methods of that part here.
 */

/** The other member of the direct room `room` as JSON {userId, username}, as seen by `user` (NULL for other rooms). */
export const DIRECT_PEER_OF = (room: string, user: string) =>
  `(SELECT json_build_object('userId', pu.id, 'username', pu.username)
    FROM direct_rooms pd JOIN users pu ON pu.id = CASE WHEN pd.user_low = ${user} THEN pd.user_high ELSE pd.user_low END
    WHERE ${room}.kind = 'direct' AND pd.room_id = ${room}.id) AS direct`;

/**
 * True unless `room` is a direct room whose other member blocked `sender`: one probe of the
 * direct_rooms room_id key (misses for every other room) and, for direct rooms, one of the
 * user_blocks primary key. Part of the send path's group commit, so a block holds for every
 * send that starts after it is stored, over REST and STOMP alike.
 */
export const NOT_BLOCKED_IN_DIRECT_ROOM = (room: string, sender: string) =>
  `NOT EXISTS (
    SELECT 1 FROM direct_rooms bd
    JOIN user_blocks bb ON bb.blocked_id = ${sender} AND bb.blocker_id = CASE WHEN bd.user_low = ${sender} THEN bd.user_high ELSE bd.user_low END
    WHERE bd.room_id = ${room})`;

/**
 * Creates the direct room of the pair in ONE statement when the pair has none: the pair's row
 * first (ON CONFLICT DO NOTHING: a concurrent creator's committed or in-flight row wins, and this
 * statement then writes nothing at all), then the room and both memberships. The room is named
 * after both usernames (clients show the other person's name instead).
 * $1 new room id, $2 creator, $3 other user (must exist, else nothing is written).
 */
const CREATE_DIRECT_SQL = `
  WITH d AS (
    INSERT INTO direct_rooms (user_low, user_high, room_id)
    SELECT least($2::uuid, $3::uuid), greatest($2::uuid, $3::uuid), $1::uuid
    WHERE EXISTS (SELECT 1 FROM users WHERE id = $2::uuid) AND EXISTS (SELECT 1 FROM users WHERE id = $3::uuid)
    ON CONFLICT DO NOTHING
    RETURNING room_id, user_low, user_high
  ), r AS (
    INSERT INTO rooms (id, name, private, created_by, member_count, kind)
    SELECT d.room_id, (SELECT string_agg(u.username, ', ' ORDER BY lower(u.username)) FROM users u WHERE u.id IN (d.user_low, d.user_high)), true, $2::uuid, 2, 'direct'
    FROM d
    RETURNING ${ROOM_COLUMNS}
  ), m AS (
    INSERT INTO memberships (room_id, user_id)
    SELECT r.id, x.user_id FROM r CROSS JOIN unnest(ARRAY[$2::uuid, $3::uuid]) AS x(user_id)
  )
  SELECT ${ROOM_COLUMNS} FROM r`;

const FIND_DIRECT_SQL = `
  SELECT ${ROOM_COLUMNS} FROM rooms
  WHERE id = (SELECT room_id FROM direct_rooms WHERE user_low = least($1::uuid, $2::uuid) AND user_high = greatest($1::uuid, $2::uuid))`;

/** Escapes LIKE's wildcards (and its escape character) so that `q` matches only itself. */
export function escapeLike(q: string): string {
  return q.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** lower(username) LIKE 'prefix%' under the C collation: a range scan (and the order) of users_username_prefix_idx. */
export const SEARCH_USERS_SQL = `
  SELECT id, username FROM users
  WHERE lower(username) COLLATE "C" LIKE $1 ESCAPE '\\'
  ORDER BY lower(username) COLLATE "C"
  LIMIT $2`;

export class DirectRows {
  constructor(private readonly db: SqlDatabase) {}

  async #run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toStoreError(err);
    }
  }

  async openDirectRoom(userId: string, otherId: string): Promise<{ room: Room; created: boolean } | null> {
    if (!isUuid(userId) || !isUuid(otherId)) return null;
    if (userId.toLowerCase() === otherId.toLowerCase()) throw badRequest('a direct room needs two different users');
    return this.#run(async () => {
      const found = await this.db.query<RoomRow>(FIND_DIRECT_SQL, [userId, otherId]);
      if (found.rows[0]) return { room: toRoom(found.rows[0]), created: false };
      const created = await this.db.query<RoomRow>(CREATE_DIRECT_SQL, [randomUUID(), userId, otherId]);
      if (created.rows[0]) return { room: toRoom(created.rows[0]), created: true };
      // Another writer's row won the pair (or a user does not exist): a new statement sees it.
      const again = await this.db.query<RoomRow>(FIND_DIRECT_SQL, [userId, otherId]);
      return again.rows[0] ? { room: toRoom(again.rows[0]), created: false } : null;
    });
  }

  async getDirectState(roomId: string, userId: string): Promise<DirectState | null> {
    if (!isUuid(roomId) || !isUuid(userId)) return null;
    return this.#run(async () => {
      const { rows } = await this.db.query<{ id: string; username: string; blocked_by_me: boolean; blocks_me: boolean }>(
        `SELECT u.id, u.username,
           EXISTS (SELECT 1 FROM user_blocks b WHERE b.blocker_id = $2 AND b.blocked_id = u.id) AS blocked_by_me,
           EXISTS (SELECT 1 FROM user_blocks b WHERE b.blocker_id = u.id AND b.blocked_id = $2) AS blocks_me
         FROM direct_rooms d JOIN users u ON u.id = CASE WHEN d.user_low = $2 THEN d.user_high ELSE d.user_low END
         WHERE d.room_id = $1 AND $2 IN (d.user_low, d.user_high)`,
        [roomId, userId],
      );
      const row = rows[0];
      return row ? { peer: { userId: row.id, username: row.username }, blockedByMe: row.blocked_by_me, blocksMe: row.blocks_me } : null;
    });
  }

  async searchUsers(prefix: string, limit: number): Promise<UserSummary[]> {
    if (typeof prefix !== 'string' || prefix === '') return [];
    return this.#run(async () => {
      const { rows } = await this.db.query<UserSummary>(SEARCH_USERS_SQL, [`${escapeLike(prefix.toLowerCase())}%`, limit]);
      return rows.map((row) => ({ id: row.id, username: row.username }));
    });
  }

  async blockUser(blockerId: string, blockedId: string, maxBlocks: number): Promise<'added' | 'exists' | 'full' | 'unknown'> {
    if (!isUuid(blockerId) || !isUuid(blockedId)) return 'unknown';
    if (blockerId.toLowerCase() === blockedId.toLowerCase()) throw badRequest('you cannot block yourself');
    return this.#run(() =>
      this.db.transaction(async (tx) => {
        // The blocker's row lock serialises their concurrent blocks, so the count bound holds.
        const me = await tx.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [blockerId]);
        const other = await tx.query('SELECT 1 FROM users WHERE id = $1', [blockedId]);
        if (me.rows.length === 0 || other.rows.length === 0) return 'unknown';
        const existing = await tx.query('SELECT 1 FROM user_blocks WHERE blocker_id = $1 AND blocked_id = $2', [blockerId, blockedId]);
        if (existing.rows.length > 0) return 'exists';
        const { rows } = await tx.query<{ n: string | number }>('SELECT count(*) AS n FROM user_blocks WHERE blocker_id = $1', [blockerId]);
        if (Number(rows[0]?.n ?? 0) >= maxBlocks) return 'full';
        await tx.query('INSERT INTO user_blocks (blocker_id, blocked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [blockerId, blockedId]);
        return 'added';
      }),
    );
  }

  async unblockUser(blockerId: string, blockedId: string): Promise<boolean> {
    if (!isUuid(blockerId) || !isUuid(blockedId)) return false;
    return this.#run(async () => {
      const { rows } = await this.db.query('DELETE FROM user_blocks WHERE blocker_id = $1 AND blocked_id = $2 RETURNING blocked_id', [blockerId, blockedId]);
      return rows.length > 0;
    });
  }

  async listBlocks(blockerId: string, limit: number): Promise<UserSummary[]> {
    if (!isUuid(blockerId)) return [];
    return this.#run(async () => {
      const { rows } = await this.db.query<UserSummary>(
        `SELECT u.id, u.username FROM user_blocks b JOIN users u ON u.id = b.blocked_id
         WHERE b.blocker_id = $1 ORDER BY lower(u.username), u.id LIMIT $2`,
        [blockerId, limit],
      );
      return rows.map((row) => ({ id: row.id, username: row.username }));
    });
  }

  async isBlocked(blockerId: string, blockedId: string): Promise<boolean> {
    if (!isUuid(blockerId) || !isUuid(blockedId)) return false;
    return this.#run(async () => {
      const { rows } = await this.db.query('SELECT 1 FROM user_blocks WHERE blocker_id = $1 AND blocked_id = $2', [blockerId, blockedId]);
      return rows.length > 0;
    });
  }
}
