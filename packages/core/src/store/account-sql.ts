import type { UserCredentials } from '../domain/types.js';
import { isUuid } from './input.js';
import { toCredentials, USER_COLUMNS, type UserRow } from './rows.js';
import type { SqlDatabase } from './sql-database.js';
import { PROMOTE_HEIR_SQL } from './moderation-sql.js';
import type { AccountDeletion } from './store.js';

/**
 * The account lifecycle's SQL (log out everywhere, password change, deletion), beside
 * SqlStore so that the store's file stays about messages and rooms. See docs/accounts.md.
 */

/** What a deleted account is called in its messages (a space: no live username can be it). */
export const DELETED_USERNAME = 'deleted user';

export async function getCredentialsById(db: SqlDatabase, userId: string): Promise<UserCredentials | null> {
  if (!isUuid(userId)) return null;
  const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1 AND deleted_at IS NULL`, [userId]);
  return rows[0] ? toCredentials(rows[0]) : null;
}

export async function getTokenGeneration(db: SqlDatabase, userId: string): Promise<number | null> {
  if (!isUuid(userId)) return null;
  const { rows } = await db.query<{ token_generation: number }>('SELECT token_generation FROM users WHERE id = $1 AND deleted_at IS NULL', [userId]);
  return rows[0] ? Number(rows[0].token_generation) : null;
}

/** Moves the user's token generation forward (and sets a new password hash when given) in one statement. */
export async function revokeTokens(db: SqlDatabase, userId: string, passwordHash?: string): Promise<number | null> {
  if (!isUuid(userId)) return null;
  const { rows } = await db.query<{ token_generation: number }>(
    `UPDATE users SET token_generation = token_generation + 1, password_hash = COALESCE($2, password_hash)
     WHERE id = $1 AND deleted_at IS NULL RETURNING token_generation`,
    [userId, passwordHash ?? null],
  );
  return rows[0] ? Number(rows[0].token_generation) : null;
}

/**
 * Deletes an account in one transaction: the row is anonymised (kept: messages and rooms
 * refer to it), its memberships (with the rooms' member counts), read positions, mutes,
 * departures, devices and unsent uploads are deleted, and its messages keep their place in
 * history under the name "deleted user". Room rows are locked in id order, as the group
 * commit locks them, so the two queue instead of deadlocking.
 */
export async function deleteAccount(db: SqlDatabase, userId: string): Promise<AccountDeletion | null> {
  if (!isUuid(userId)) return null;
  return db.transaction(async (tx) => {
    const user = await tx.query<{ token_generation: number }>(
      `UPDATE users SET username = $2, email = '', password_hash = '!', is_admin = false, deleted_at = now(),
         token_generation = token_generation + 1
       WHERE id = $1 AND deleted_at IS NULL RETURNING token_generation`,
      [userId, DELETED_USERNAME],
    );
    if (!user.rows[0]) return null;
    await tx.query(
      `SELECT r.id FROM rooms r JOIN memberships m ON m.room_id = r.id WHERE m.user_id = $1 ORDER BY r.id FOR NO KEY UPDATE OF r`,
      [userId],
    );
    const rooms = await tx.query<{ id: string; role: string }>(
      `WITH gone AS (DELETE FROM memberships WHERE user_id = $1 RETURNING room_id, role)
       UPDATE rooms SET member_count = rooms.member_count - 1 FROM gone WHERE rooms.id = gone.room_id RETURNING rooms.id, gone.role`,
      [userId],
    );
    // The rooms this account owned pass on as when an owner leaves (docs/moderation.md).
    for (const room of rooms.rows) if (room.role === 'owner') await tx.query(PROMOTE_HEIR_SQL, [room.id]);
    await tx.query('DELETE FROM room_departures WHERE user_id = $1', [userId]);
    await tx.query('DELETE FROM room_mutes WHERE user_id = $1', [userId]);
    const devices = await tx.query('DELETE FROM devices WHERE user_id = $1 RETURNING token', [userId]);
    const uploads = await tx.query('DELETE FROM attachments WHERE uploader_id = $1 AND message_id IS NULL RETURNING id', [userId]);
    const messages = await tx.query(
      `UPDATE messages SET sender_username = $2,
         text = CASE type WHEN 'join' THEN $2 || ' joined' WHEN 'leave' THEN $2 || ' left' ELSE text END
       WHERE sender_id = $1`,
      [userId, DELETED_USERNAME],
    );
    return {
      tokenGeneration: Number(user.rows[0].token_generation),
      rooms: rooms.rowCount,
      devices: devices.rowCount,
      unsentUploads: uploads.rowCount,
      messages: messages.rowCount,
    };
  });
}
