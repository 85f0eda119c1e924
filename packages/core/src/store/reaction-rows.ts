import { randomUUID } from 'node:crypto';
import type { UserSettings } from '../domain/types.js';
import { conflict } from '../errors.js';
import { MESSAGE_COLUMNS, toMessage, toReactionList, type MessageRow } from './rows.js';
import type { SqlDatabase } from './sql-database.js';
import type { ReactionChange, ReactionResult } from './store.js';

/** Mention counts stop at this many per room (an index range of bounded length). */
export const MENTIONS_UNREAD_CAP = 1000;

/**
 * A member query's `mentions_unread` column: live text messages after the member's read position
 * that mention them (from message_mentions, capped); `m` is the memberships alias.
 */
export const MENTIONS_UNREAD_OF = (m: string) =>
  `(SELECT count(*) FROM (
      SELECT 1 FROM message_mentions mm JOIN messages x ON x.id = mm.message_id AND x.deleted_at IS NULL
      WHERE mm.user_id = ${m}.user_id AND mm.room_id = ${m}.room_id AND mm.seq > ${m}.last_read_seq
      LIMIT ${MENTIONS_UNREAD_CAP}
    ) c) AS mentions_unread`;

/**
 * Members who muted a room but let mentions through, for (room, user) pairs ($1, $2 parallel
 * arrays) named by claimed messages, with their unread count (as listPushRecipientsByRoom counts
 * it) and devices.
 */
export const MENTION_PUSH_RECIPIENTS_SQL = `
  SELECT p.room_id, p.user_id, u.unread, d.token, d.platform
  FROM unnest($1::uuid[], $2::uuid[]) AS p(room_id, user_id)
  JOIN memberships m ON m.room_id = p.room_id AND m.user_id = p.user_id
  JOIN rooms r ON r.id = p.room_id
  JOIN users us ON us.id = p.user_id AND us.notify_mentions_when_muted
  CROSS JOIN LATERAL (
    SELECT count(*) AS unread FROM messages x
    WHERE x.room_id = p.room_id AND x.seq > GREATEST(m.last_read_seq, r.last_seq - 1000)
      AND x.type = 'text' AND x.sender_id <> p.user_id
  ) u
  JOIN devices d ON d.user_id = p.user_id
  ORDER BY p.room_id, p.user_id, d.created_at, d.token`;

/** The message's reactions now, in the order each emoji was first added. */
const AGGREGATE_SQL = `
  SELECT COALESCE(json_agg(json_build_object('emoji', emoji, 'count', n) ORDER BY first, emoji), '[]'::json) AS reactions
  FROM (SELECT emoji, count(*) AS n, min(created_at) AS first FROM reactions WHERE message_id = $1 GROUP BY emoji) g`;

/**
 * The reaction entry: the target's aggregate is stored on it and on the entry, the room's seq
 * moves (counted as a lifecycle entry), in one statement. $1 entry id, $2 room, $3 actor,
 * $4 target, $5 emoji, $6 removed, $7 aggregate (json list).
 */
const ENTRY_SQL = `
  WITH t AS (
    UPDATE messages SET reactions = CASE WHEN json_array_length($7::json) = 0 THEN NULL ELSE $7::jsonb END
    WHERE id = $4
  ), r AS (
    UPDATE rooms SET last_seq = rooms.last_seq + 1, lifecycle_count = rooms.lifecycle_count + 1
    FROM users u
    WHERE rooms.id = $2 AND u.id = $3
    RETURNING rooms.id, rooms.last_seq, u.username
  ), m AS (
    INSERT INTO messages (id, room_id, seq, type, sender_id, sender_username, text, target_id, reactions, reaction_removed)
    SELECT $1::uuid, r.id, r.last_seq, 'reaction', $3::uuid, r.username, $5::text, $4::uuid, $7::jsonb, $6::boolean FROM r
    RETURNING ${MESSAGE_COLUMNS}
  )
  SELECT ${MESSAGE_COLUMNS} FROM m`;

/**
 * One reaction change in one transaction. The target row is locked first, so changes to one
 * message are serialised and each entry's aggregate includes every earlier change (the statements
 * after the lock see what committed before it).
 */
export async function changeReaction(db: SqlDatabase, change: ReactionChange): Promise<ReactionResult | null> {
  return db.transaction(async (tx) => {
    const { rows: targets } = await tx.query<{ deleted: boolean; reactions: unknown; member: boolean }>(
      `SELECT deleted_at IS NOT NULL AS deleted, reactions,
         EXISTS (SELECT 1 FROM memberships WHERE room_id = $2 AND user_id = $3) AS member
       FROM messages WHERE id = $1 AND room_id = $2 AND type = 'text' FOR UPDATE`,
      [change.messageId, change.roomId, change.actorId],
    );
    const target = targets[0];
    if (!target || !target.member) return null;
    if (target.deleted) throw conflict('message was deleted');
    const current = toReactionList(target.reactions) ?? [];
    let changed: boolean;
    if (change.remove) {
      const removed = await tx.query('DELETE FROM reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3', [change.messageId, change.actorId, change.emoji]);
      changed = removed.rowCount > 0;
    } else {
      const { rows } = await tx.query<{ mine: number | string; present: boolean }>(
        `SELECT count(*) AS mine, EXISTS (SELECT 1 FROM reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3) AS present
         FROM reactions WHERE message_id = $1 AND user_id = $2`,
        [change.messageId, change.actorId, change.emoji],
      );
      const own = rows[0]!;
      if (own.present) {
        changed = false;
      } else {
        if (!current.some((r) => r.emoji === change.emoji) && current.length >= change.maxPerMessage) {
          throw conflict(`a message carries at most ${change.maxPerMessage} different reactions`);
        }
        if (Number(own.mine) >= change.maxPerUser) throw conflict(`at most ${change.maxPerUser} reactions per user on one message`);
        await tx.query('INSERT INTO reactions (message_id, user_id, emoji) VALUES ($1, $2, $3)', [change.messageId, change.actorId, change.emoji]);
        changed = true;
      }
    }
    if (!changed) return { entry: null, reactions: current };
    const { rows: aggregate } = await tx.query<{ reactions: unknown }>(AGGREGATE_SQL, [change.messageId]);
    const json = JSON.stringify(toReactionList(aggregate[0]?.reactions) ?? []);
    const { rows } = await tx.query<MessageRow>(ENTRY_SQL, [randomUUID(), change.roomId, change.actorId, change.messageId, change.emoji, change.remove, json]);
    const entry = toMessage(rows[0]!);
    return { entry, reactions: entry.reactions ?? [] };
  });
}

export async function listOwnReactions(db: SqlDatabase, userId: string, messageIds: string[]): Promise<Map<string, Set<string>>> {
  const { rows } = await db.query<{ message_id: string; emoji: string }>(
    'SELECT message_id, emoji FROM reactions WHERE user_id = $1 AND message_id = ANY($2::uuid[])',
    [userId, messageIds],
  );
  const mine = new Map<string, Set<string>>();
  for (const row of rows) {
    let set = mine.get(row.message_id);
    if (!set) mine.set(row.message_id, (set = new Set()));
    set.add(row.emoji);
  }
  return mine;
}

export async function findMembersByUsername(db: SqlDatabase, roomId: string, lowerNames: string[]): Promise<Array<{ id: string; username: string }>> {
  const { rows } = await db.query<{ id: string; username: string }>(
    `SELECT u.id, u.username FROM users u JOIN memberships m ON m.user_id = u.id AND m.room_id = $1
     WHERE lower(u.username) = ANY($2::text[]) ORDER BY u.id`,
    [roomId, lowerNames],
  );
  return rows;
}

export async function getUserSettings(db: SqlDatabase, userId: string): Promise<UserSettings | null> {
  const { rows } = await db.query<{ notify_mentions_when_muted: boolean }>('SELECT notify_mentions_when_muted FROM users WHERE id = $1', [userId]);
  return rows[0] ? { notifyMentionsWhenMuted: rows[0].notify_mentions_when_muted } : null;
}

export async function updateUserSettings(db: SqlDatabase, userId: string, settings: Partial<UserSettings>): Promise<UserSettings | null> {
  const { rows } = await db.query<{ notify_mentions_when_muted: boolean }>(
    'UPDATE users SET notify_mentions_when_muted = COALESCE($2::boolean, notify_mentions_when_muted) WHERE id = $1 RETURNING notify_mentions_when_muted',
    [userId, settings.notifyMentionsWhenMuted ?? null],
  );
  return rows[0] ? { notifyMentionsWhenMuted: rows[0].notify_mentions_when_muted } : null;
}
