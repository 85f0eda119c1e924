/**
 * Stores a batch of messages the way Chorus's group commit does, in Chorus's own tables: the rooms'
 * last_seq moves and the messages rows are inserted, in one statement and one commit. Seqs are
 * assigned by the caller (each owns the rooms it writes). No push_outbox rows: the rooms these
 * references write have no member who could be notified, so Chorus writes none either.
 * $1 ids, $2 room ids, $3 seqs, $4 texts (parallel arrays), $5 the sender's id, $6 its username.
 * Used by the pg-ceiling (scenarios/pg-ceiling.ts) and the durable floor (durable-floor-server.mjs).
 */
export const STORE_SQL = `
  WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[]) AS t(id, room_id, seq, text)
  ), bumped AS (
    UPDATE rooms SET last_seq = s.top FROM (SELECT room_id, max(seq) AS top FROM input GROUP BY room_id) s WHERE rooms.id = s.room_id
  )
  INSERT INTO messages (id, room_id, seq, type, sender_id, sender_username, text)
  SELECT id, room_id, seq, 'text', $5::uuid, $6::text, text FROM input`;
