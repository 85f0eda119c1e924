import { randomUUID } from 'node:crypto';
import { createLogger, loadConfig, migrate, openDatabase } from '@chorus/core';
import pg from 'pg';
import { stampedText } from '../clients/payload.js';
import { sleep } from '../meter.js';
import { BENCH_JWT_SECRET, createDatabase } from '../targets/chorus.js';

export interface PgCeilingOptions {
  databaseUrl: string;
  /** Postgres connections: Chorus's pool size in the same run. */
  connections: number;
  /** Rooms written to (Chorus's publishing connections each have one). */
  rooms: number;
  /** Rows per INSERT: the messages Chorus had in flight per pool connection. */
  batch: number;
  seconds: number;
  messageBytes: number;
}

export interface PgCeilingResult {
  rowsPerSec: number;
  connections: number;
  batch: number;
}

/**
 * Each statement stores `batch` messages the way Chorus's group commit does:
 * the rooms' last_seq moves and the messages rows are inserted, in one
 * statement and one commit (seqs are assigned here, as each connection owns
 * its rooms). No push_outbox rows: the persistence scenario's rooms have no
 * member but the sender, so Chorus writes no push job for their messages
 * (core's push-job-sql.ts) and the ceiling writes none either.
 */
export const STORE_SQL = `
  WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[]) AS t(id, room_id, seq, text)
  ), bumped AS (
    UPDATE rooms SET last_seq = s.top FROM (SELECT room_id, max(seq) AS top FROM input GROUP BY room_id) s WHERE rooms.id = s.room_id
  )
  INSERT INTO messages (id, room_id, seq, type, sender_id, sender_username, text)
  SELECT id, room_id, seq, 'text', $5::uuid, 'ceiling', text FROM input`;

/**
 * The pg-ceiling reference of the persistence scenario: how many of Chorus's
 * message rows (the rows Chorus writes for them, same tables and indexes: Chorus's own
 * migrations) Postgres on this machine stores per second through `pg`, with
 * multi-row inserts over the same number of connections and nothing else in
 * the way (no WebSocket, no STOMP, no broker). Chorus's stored msg/s is
 * reported as a fraction of it.
 */
export async function runPgCeiling(options: PgCeilingOptions): Promise<PgCeilingResult> {
  const { url, drop } = await createDatabase(options.databaseUrl);
  const clients: pg.Client[] = [];
  try {
    const config = loadConfig({ DATABASE_URL: url, JWT_SECRET: BENCH_JWT_SECRET, LOG_LEVEL: 'warn' });
    const logger = createLogger({ level: 'warn', name: 'bench-pg-ceiling', pretty: false });
    const { db } = await openDatabase(config, logger);
    const userId = randomUUID();
    const roomIds = Array.from({ length: Math.max(options.rooms, options.connections) }, () => randomUUID());
    try {
      await migrate(db, logger);
      await db.query(`INSERT INTO users (id, username, email, password_hash) VALUES ($1, 'ceiling', 'ceiling@example.com', 'x')`, [userId]);
      await db.query(`INSERT INTO rooms (id, name, private, created_by, member_count) SELECT r, 'ceiling', false, $2, 1 FROM unnest($1::uuid[]) r`, [roomIds, userId]);
    } finally {
      await db.close();
    }
    for (let i = 0; i < options.connections; i++) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      clients.push(client);
    }
    let stored = 0;
    let running = true;
    const seqs = new Map<string, number>(roomIds.map((r) => [r, 0]));
    // Connection k owns rooms k, k + n, k + 2n…, so no two statements wait on one room's row lock.
    const loop = async (client: pg.Client, k: number) => {
      const mine = roomIds.filter((_, i) => i % options.connections === k);
      let next = 0;
      while (running) {
        const ids: string[] = [];
        const rooms: string[] = [];
        const seq: number[] = [];
        const texts: string[] = [];
        for (let i = 0; i < options.batch; i++) {
          const room = mine[next++ % mine.length]!;
          const s = seqs.get(room)! + 1;
          seqs.set(room, s);
          ids.push(randomUUID());
          rooms.push(room);
          seq.push(s);
          texts.push(stampedText(options.messageBytes));
        }
        await client.query(STORE_SQL, [ids, rooms, seq, texts, userId]);
        stored += options.batch;
      }
    };
    const loops = clients.map((c, k) => loop(c, k));
    await sleep(1000);
    const stored0 = stored;
    const t0 = performance.now();
    await sleep(options.seconds * 1000);
    const rowsPerSec = (stored - stored0) / ((performance.now() - t0) / 1000);
    running = false;
    await Promise.all(loops);
    return { rowsPerSec: Math.round(rowsPerSec), connections: options.connections, batch: options.batch };
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await drop();
  }
}
