import { randomUUID } from 'node:crypto';
import { checkLimit } from '../store/input.js';
import type { SqlDatabase } from '../store/sql-database.js';
import { toStoreError } from '../store/sql-errors.js';
import { PUSH_PREVIEW_SOURCE_CHARS, type DeadLetter, type PushClaim, type PushJob, type PushQueue, type RetryOutcome } from './push-queue.js';
import { isoTimestamp, type Timestamp } from '../store/timestamps.js';

/** First key of the per-room advisory locks taken while claiming ("push"). */
const CLAIM_LOCK_KEY = 7_411_950;

const JOB_ID = /^[1-9]\d{0,18}$/;


interface ClaimedRow {
  id: string | number;
  room_id: string;
  room_name: string;
  message_id: string;
  seq: string | number;
  sender_id: string;
  sender_username: string;
  text: string;
  message_created_at: Timestamp;
  attempts: number;
  delivered_tokens: string[] | null;
  attachment_count: string | number;
  image_count: string | number;
  mentions: string[] | null;
  mentions_only: boolean;
}

interface DeadRow {
  id: string | number;
  room_id: string;
  message_id: string;
  seq: string | number;
  attempts: number;
  last_error: string | null;
  message_created_at: Timestamp;
  dead_at: Timestamp;
}

/**
 * PushQueue over the push_outbox table (Postgres or PGlite). Claims are short statements
 * (no transaction stays open while notifications are sent): FOR UPDATE SKIP LOCKED keeps
 * concurrent claimers off each other's rows, a per-room advisory lock plus the "no live lease
 * in this room" condition keeps them off each other's rooms, and the lease (next_attempt_at
 * moved forward) is what survives a crash.
 */
export class SqlPushQueue implements PushQueue {
  constructor(readonly db: SqlDatabase) {}

  async #run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toStoreError(err);
    }
  }

  async claim(options: { maxRooms: number; leaseMs: number }): Promise<PushClaim[]> {
    const maxRooms = checkLimit(options.maxRooms);
    const leaseMs = Math.max(1, Math.floor(options.leaseMs));
    const claimToken = randomUUID();
    const rows = await this.#run(() =>
      this.db.transaction(async (tx) => {
        // Candidate rooms from the oldest due jobs (bounded scan, whatever the backlog).
        const candidates = await tx.query<{ room_id: string }>(
          `SELECT room_id FROM (
             SELECT room_id, next_attempt_at FROM push_outbox
             WHERE state = 'pending' AND next_attempt_at <= now()
             ORDER BY next_attempt_at, id LIMIT $2
           ) due GROUP BY room_id ORDER BY min(next_attempt_at) LIMIT $1`,
          [maxRooms, maxRooms * 20],
        );
        if (candidates.rows.length === 0) return [];
        // A room another transaction is claiming right now is skipped; once that claim commits,
        // its lease is visible to the statement below and keeps the room skipped.
        const locked = await tx.query<{ room_id: string }>(
          `SELECT room_id FROM unnest($1::uuid[]) AS c(room_id) WHERE pg_try_advisory_xact_lock($2, hashtext(room_id::text))`,
          [candidates.rows.map((r) => r.room_id), CLAIM_LOCK_KEY],
        );
        if (locked.rows.length === 0) return [];
        const claimed = await tx.query<ClaimedRow>(
          `WITH leased_rooms AS MATERIALIZED (
             -- Rooms with a live lease (checked once per room, through push_outbox_claimed_idx).
             SELECT DISTINCT x.room_id FROM push_outbox x
             WHERE x.room_id = ANY($1::uuid[]) AND x.state = 'pending' AND x.claim_token IS NOT NULL AND x.next_attempt_at > now()
           ), claimable AS (
             SELECT o.id FROM push_outbox o
             WHERE o.room_id = ANY($1::uuid[]) AND o.state = 'pending' AND o.next_attempt_at <= now()
               AND o.room_id NOT IN (SELECT room_id FROM leased_rooms)
             FOR UPDATE OF o SKIP LOCKED
           ), leased AS (
             UPDATE push_outbox p
             SET attempts = p.attempts + 1, claim_token = $2::uuid, next_attempt_at = now() + $3 * interval '1 millisecond'
             FROM claimable c WHERE p.id = c.id
             RETURNING p.id, p.room_id, p.message_id, p.seq, p.sender_id, p.message_created_at, p.attempts, p.delivered_tokens
           )
           SELECT l.id, l.room_id, r.name AS room_name, l.message_id, l.seq, l.sender_id, m.sender_username,
                  left(m.text, ${PUSH_PREVIEW_SOURCE_CHARS}) AS text, l.message_created_at, l.attempts, l.delivered_tokens,
                  coalesce(a.n, 0) AS attachment_count, coalesce(a.images, 0) AS image_count,
                  -- Mentions this job notifies: those the text mentions now whose mention row lies at
                  -- the job's seq (a text job: mentioned when sent; an edit's job: first mentioned by
                  -- that edit, and none once the message is deleted), so each is notified once.
                  ARRAY(
                    SELECT x.user_id FROM unnest(CASE WHEN m.type = 'edit' THEN CASE WHEN t.deleted_at IS NULL THEN t.mentions END ELSE m.mentions END) AS x(user_id)
                    WHERE EXISTS (SELECT 1 FROM message_mentions mm WHERE mm.user_id = x.user_id AND mm.room_id = l.room_id AND mm.seq = l.seq)
                  ) AS mentions,
                  m.type = 'edit' AS mentions_only
           FROM leased l JOIN messages m ON m.id = l.message_id JOIN rooms r ON r.id = l.room_id
           LEFT JOIN messages t ON m.type = 'edit' AND t.id = m.target_id
           LEFT JOIN LATERAL (
             SELECT count(*) AS n, count(*) FILTER (WHERE x.content_type LIKE 'image/%') AS images
             FROM attachments x WHERE x.message_id = l.message_id
           ) a ON true
           ORDER BY l.room_id, l.seq`,
          [locked.rows.map((r) => r.room_id), claimToken, leaseMs],
        );
        return claimed.rows;
      }),
    );
    const claims = new Map<string, PushClaim>();
    for (const row of rows) {
      let claim = claims.get(row.room_id);
      if (!claim) {
        claim = { claimToken, roomId: row.room_id, roomName: row.room_name, jobs: [] };
        claims.set(row.room_id, claim);
      }
      claim.jobs.push(toJob(row));
    }
    return [...claims.values()];
  }

  async ack(claim: PushClaim): Promise<number> {
    return (await this.ackAll([claim]))[0]!;
  }

  async ackAll(claims: readonly PushClaim[]): Promise<number[]> {
    const ids: string[] = [];
    const tokens: string[] = [];
    const claimOfJob = new Map<string, number>();
    claims.forEach((claim, i) => {
      for (const job of claim.jobs) {
        ids.push(job.id);
        tokens.push(claim.claimToken);
        claimOfJob.set(job.id, i);
      }
    });
    const acked = claims.map(() => 0);
    if (ids.length === 0) return acked;
    const rows = await this.#run(async () => {
      const result = await this.db.query<{ id: string | number }>(
        `DELETE FROM push_outbox o USING unnest($1::bigint[], $2::uuid[]) AS a(id, claim_token)
         WHERE o.id = a.id AND o.claim_token = a.claim_token
         RETURNING o.id`,
        [ids, tokens],
      );
      return result.rows;
    });
    for (const row of rows) acked[claimOfJob.get(String(row.id))!]! += 1;
    return acked;
  }

  async retry(
    claim: PushClaim,
    options: { delayMs: number; maxAttempts: number; error: string; deliveredTokens: string[] },
  ): Promise<RetryOutcome | 'stale'> {
    return this.#run(async () => {
      const { rows } = await this.db.query<{ state: string }>(
        `UPDATE push_outbox SET
           state = CASE WHEN attempts >= $3 THEN 'dead' ELSE 'pending' END,
           dead_at = CASE WHEN attempts >= $3 THEN now() END,
           next_attempt_at = now() + $4 * interval '1 millisecond',
           claim_token = NULL,
           last_error = $5,
           delivered_tokens = ARRAY(SELECT DISTINCT t FROM unnest(delivered_tokens || $6::text[]) AS t ORDER BY t)
         WHERE id = ANY($1::bigint[]) AND claim_token = $2
         RETURNING state`,
        [jobIds(claim), claim.claimToken, options.maxAttempts, Math.max(0, Math.floor(options.delayMs)), options.error, options.deliveredTokens],
      );
      if (rows.length === 0) return 'stale';
      return rows.some((r) => r.state === 'dead') ? 'dead' : 'retrying';
    });
  }

  async deadLetter(claim: PushClaim, options: { error: string; deliveredTokens: string[] }): Promise<number> {
    return this.#run(async () => {
      const { rowCount } = await this.db.query(
        `UPDATE push_outbox SET state = 'dead', dead_at = now(), claim_token = NULL, last_error = $3,
           delivered_tokens = ARRAY(SELECT DISTINCT t FROM unnest(delivered_tokens || $4::text[]) AS t ORDER BY t)
         WHERE id = ANY($1::bigint[]) AND claim_token = $2`,
        [jobIds(claim), claim.claimToken, options.error, options.deliveredTokens],
      );
      return rowCount;
    });
  }

  async listDeadLetters(options: { limit: number; before?: string | undefined }): Promise<DeadLetter[]> {
    const limit = checkLimit(options.limit);
    if (options.before !== undefined && !JOB_ID.test(options.before)) return [];
    return this.#run(async () => {
      const params: unknown[] = [limit];
      const before = options.before === undefined ? '' : `AND id < $${params.push(options.before)}::bigint`;
      const { rows } = await this.db.query<DeadRow>(
        `SELECT id, room_id, message_id, seq, attempts, last_error, message_created_at, dead_at FROM push_outbox
         WHERE state = 'dead' ${before} ORDER BY id DESC LIMIT $1`,
        params,
      );
      return rows.map((row) => ({
        id: String(row.id),
        roomId: row.room_id,
        messageId: row.message_id,
        seq: Number(row.seq),
        attempts: row.attempts,
        lastError: row.last_error,
        storedAt: isoTimestamp(row.message_created_at),
        deadAt: isoTimestamp(row.dead_at),
      }));
    });
  }

  async replay(id: string): Promise<boolean> {
    if (typeof id !== 'string' || !JOB_ID.test(id)) return false;
    return this.#run(async () => {
      const { rowCount } = await this.db.query(
        `UPDATE push_outbox SET state = 'pending', attempts = 0, next_attempt_at = now(), claim_token = NULL, dead_at = NULL
         WHERE id = $1::bigint AND state = 'dead'`,
        [id],
      );
      return rowCount > 0;
    });
  }

  async purgeDeadLetters(before: Date): Promise<number> {
    return this.#run(async () => {
      const { rowCount } = await this.db.query(`DELETE FROM push_outbox WHERE state = 'dead' AND dead_at < $1`, [before.toISOString()]);
      return rowCount;
    });
  }

  async depth(): Promise<number> {
    return this.#run(async () => {
      const { rows } = await this.db.query<{ n: string | number }>(`SELECT count(*) AS n FROM push_outbox WHERE state = 'pending'`);
      return Number(rows[0]?.n ?? 0);
    });
  }
}

const jobIds = (claim: PushClaim): string[] => claim.jobs.map((job) => job.id);

function toJob(row: ClaimedRow): PushJob {
  const attachments = Number(row.attachment_count ?? 0);
  const job: PushJob = {
    id: String(row.id),
    messageId: row.message_id,
    seq: Number(row.seq),
    senderId: row.sender_id,
    senderUsername: row.sender_username,
    text: row.text,
    storedAt: isoTimestamp(row.message_created_at),
    attempts: row.attempts,
    deliveredTokens: row.delivered_tokens ?? [],
  };
  if (attachments > 0) job.attachments = { count: attachments, images: Number(row.image_count ?? 0) };
  if (row.mentions && row.mentions.length > 0) job.mentions = row.mentions;
  if (row.mentions_only) job.mentionsOnly = true;
  return job;
}
