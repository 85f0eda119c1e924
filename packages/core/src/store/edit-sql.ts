import { randomUUID } from 'node:crypto';
import { MESSAGE_COLUMNS, type MessageRow } from './rows.js';
import type { SqlDatabase } from './sql-database.js';

/**
 * An edit in ONE statement: the target (a live text message of the room; the actor a member) gets
 * the new text and its mentions now, and only then the room's seq moves and the `edit` entry is
 * inserted. Members the message mentions for the first time (no message_mentions row for this
 * message yet, whatever seq it was written at) are `fresh`: the entry carries them as its
 * `mentions`, each gets a message_mentions row at the entry's seq (counted until read past it),
 * and the entry gets a push job that notifies only them. A mention the edit removes keeps its row,
 * so a later edit that names the user again neither counts nor notifies twice.
 * $1 entry id, $2 room, $3 actor, $4 target, $5 new text, $6 mentioned member ids (uuid[]).
 */
const EDIT_SQL = `
  WITH t AS (
    UPDATE messages SET text = $5::text, edited_at = now(),
      mentions = CASE WHEN cardinality($6::uuid[]) = 0 THEN NULL ELSE $6::uuid[] END
    WHERE id = $4 AND room_id = $2 AND type = 'text' AND deleted_at IS NULL
      AND EXISTS (SELECT 1 FROM memberships WHERE room_id = $2 AND user_id = $3)
    RETURNING id, seq
  ), r AS (
    UPDATE rooms SET last_seq = rooms.last_seq + 1, lifecycle_count = rooms.lifecycle_count + 1
    FROM users u
    WHERE rooms.id = $2 AND u.id = $3 AND EXISTS (SELECT 1 FROM t)
    RETURNING rooms.id, rooms.last_seq, u.username
  ), fresh AS (
    -- A message's mention rows lie at or after its own seq: a range of the primary key.
    SELECT x.user_id, x.ord FROM t CROSS JOIN unnest($6::uuid[]) WITH ORDINALITY AS x(user_id, ord)
    WHERE NOT EXISTS (
      SELECT 1 FROM message_mentions mm
      WHERE mm.user_id = x.user_id AND mm.room_id = $2 AND mm.seq >= t.seq AND mm.message_id = t.id
    )
  ), m AS (
    INSERT INTO messages (id, room_id, seq, type, sender_id, sender_username, text, target_id, mentions)
    SELECT $1::uuid, r.id, r.last_seq, 'edit', $3::uuid, r.username, $5::text, $4::uuid,
      (SELECT array_agg(f.user_id ORDER BY f.ord) FROM fresh f)
    FROM r
    RETURNING ${MESSAGE_COLUMNS}
  ), mentioned AS (
    INSERT INTO message_mentions (user_id, room_id, seq, message_id)
    SELECT f.user_id, m.room_id, m.seq, m.target_id FROM m CROSS JOIN fresh f
  ), job AS (
    INSERT INTO push_outbox (room_id, message_id, seq, sender_id, message_created_at)
    SELECT room_id, id, seq, sender_id, created_at FROM m WHERE mentions IS NOT NULL
  )
  SELECT ${MESSAGE_COLUMNS} FROM m`;

/**
 * Stores an edit (EDIT_SQL). With mentions, the target row is locked first in the same
 * transaction, so concurrent edits of one message are serialised and the second sees the
 * first's mention rows (each member is counted and notified once per message).
 */
export async function appendEdit(db: SqlDatabase, event: { roomId: string; actorId: string; targetId: string; text: string; mentions: readonly string[] }): Promise<MessageRow | null> {
  const params = [randomUUID(), event.roomId, event.actorId, event.targetId, event.text, [...event.mentions]];
  if (event.mentions.length === 0) return (await db.query<MessageRow>(EDIT_SQL, params)).rows[0] ?? null;
  return db.transaction(async (tx) => {
    await tx.query(`SELECT 1 FROM messages WHERE id = $1 AND room_id = $2 AND type = 'text' FOR UPDATE`, [event.targetId, event.roomId]);
    return (await tx.query<MessageRow>(EDIT_SQL, params)).rows[0] ?? null;
  });
}


