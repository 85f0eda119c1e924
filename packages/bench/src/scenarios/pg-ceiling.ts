import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { stampedText } from '../clients/payload.js';
import { sleep } from '../meter.js';
import { postgresCpuWindow } from '../proc-stats.js';
import { STORE_SQL } from '../servers/store-sql.mjs';
import { createReferenceDatabase } from '../targets/reference-database.js';

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
  /** Postgres's CPU per stored row, µs (a local Postgres only). */
  postgresCpuUsPerRow?: number;
  connections: number;
  batch: number;
}


/**
 * The pg-ceiling reference of the persistence scenario: how many of Chorus's
 * message rows (the rows Chorus writes for them, same tables and indexes: Chorus's own
 * migrations) Postgres on this machine stores per second through `pg`, with
 * multi-row inserts over the same number of connections and nothing else in
 * the way (no WebSocket, no STOMP, no broker). Chorus's stored msg/s is
 * reported as a fraction of it.
 */
export async function runPgCeiling(options: PgCeilingOptions): Promise<PgCeilingResult> {
  const database = await createReferenceDatabase(options.databaseUrl, 'ceiling');
  const { url, userId } = database;
  const clients: pg.Client[] = [];
  try {
    const roomIds = Array.from({ length: Math.max(options.rooms, options.connections) }, () => randomUUID());
    await database.addRooms(roomIds);
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
        await client.query(STORE_SQL, [ids, rooms, seq, texts, userId, 'ceiling']);
        stored += options.batch;
      }
    };
    const loops = clients.map((c, k) => loop(c, k));
    await sleep(1000);
    const stored0 = stored;
    const t0 = performance.now();
    const postgresCpu = postgresCpuWindow(options.databaseUrl);
    await sleep(options.seconds * 1000);
    const rowsPerSec = (stored - stored0) / ((performance.now() - t0) / 1000);
    const postgresSeconds = postgresCpu();
    const rows = stored - stored0;
    running = false;
    await Promise.all(loops);
    return {
      rowsPerSec: Math.round(rowsPerSec),
      ...(postgresSeconds !== undefined && rows > 0 ? { postgresCpuUsPerRow: Math.round((postgresSeconds * 1e7) / rows) / 10 } : {}),
      connections: options.connections,
      batch: options.batch,
    };
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await database.drop();
  }
}
