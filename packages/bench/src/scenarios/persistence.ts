import { randomUUID } from 'node:crypto';
import { createLogger, loadConfig, migrate, openDatabase } from '@chorus/core';
import type { LoadConnection } from '../clients/connection.js';
import { stampedText } from '../clients/payload.js';
import { DeliveryMeter, limitNote, sleep, WindowMeter } from '../meter.js';
import { postgresCpuWindow } from '../proc-stats.js';
import type { Progress } from '../progress.js';
import type { ResultRow } from '../results.js';
import { percentileOf, round } from '../stats.js';
import { BENCH_JWT_SECRET, ChorusTarget } from '../targets/chorus.js';
import type { TargetOptions } from '../targets/target.js';
import { runPgCeiling } from './pg-ceiling.js';

export interface PersistenceOptions {
  publishers: number;
  /** SENDs in flight per publisher (each with a receipt). */
  window: number;
  seconds: number;
  historyMessages: number;
  historyRequests: number;
  messageBytes: number;
}

const SEED_BATCH = 100_000;

/**
 * Chorus only: sustained stored messages/s with receipts (a RECEIPT means the
 * message is committed), then the latency of 50-message history pages at random
 * depths of a room holding `historyMessages` messages (seeded with SQL before
 * the server starts).
 */
export async function runPersistence(targetOptions: TargetOptions, options: PersistenceOptions, progress: Progress): Promise<ResultRow> {
  const historyRoomId = randomUUID();
  const label = 'persistence chorus';
  const target = await ChorusTarget.start({
    ...targetOptions,
    replicas: 1,
    seed: (env) => seedHistory(env, historyRoomId, options.historyMessages, (done) => progress.update(`${label}: seeding history ${done.toLocaleString('en-US')}/${options.historyMessages.toLocaleString('en-US')}`)),
  });
  const connections: LoadConnection[] = [];
  let row: ResultRow;
  try {
    const rooms = await target.setupRooms(options.publishers, 1, (d, t) => progress.update(`${label}: setup ${d}/${t}`));
    for (const room of rooms) connections.push(await target.connect({ replica: 0, room, member: 0, subscribe: false }));

    // Stored messages/s: every publisher keeps `window` confirmed SENDs in flight.
    let stored = 0;
    let failed = 0;
    let firstError: string | undefined;
    let running = true;
    const pump = (conn: LoadConnection) => {
      conn.publishConfirmed!(stampedText(options.messageBytes), (err) => {
        if (err) {
          failed++;
          firstError ??= err.message;
          return;
        }
        stored++;
        if (running) pump(conn);
      });
    };
    for (const conn of connections) for (let i = 0; i < options.window; i++) pump(conn);
    const window = new WindowMeter(target.pids, new DeliveryMeter());
    await sleep(1000);
    const stored0 = stored;
    window.start();
    const postgresCpu = targetOptions.databaseUrl ? postgresCpuWindow(targetOptions.databaseUrl) : () => undefined;
    for (let s = 0; s < options.seconds; s++) {
      await sleep(1000);
      progress.update(`${label}: ${Math.round((stored - stored0) / (s + 1)).toLocaleString('en-US')} stored messages/s`);
    }
    const w = window.stop();
    const postgresSeconds = postgresCpu();
    const storedPerSec = (stored - stored0) / w.seconds;
    running = false;
    await sleep(500);
    progress.log(`${label}: ${Math.round(storedPerSec)} stored messages/s with receipts`);

    // History pages on the big room.
    await target.adoptRoom('history', historyRoomId);
    const token = target.firstUserToken;
    const samples: number[] = [];
    // The same client's no-op request (GET /healthz: no token, no database), one after each page:
    // the floor under any request's latency on this machine, as the ws-ceiling is under fan-out's.
    const noopSamples: number[] = [];
    for (let i = 0; i < options.historyRequests; i++) {
      const before = 51 + Math.floor(Math.random() * (options.historyMessages - 50));
      const t0 = performance.now();
      const res = await fetch(`${target.url()}/api/rooms/${historyRoomId}/messages?limit=50&before=${before}`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { messages?: unknown[] };
      samples.push(performance.now() - t0);
      if (!res.ok || body.messages?.length !== 50) throw new Error(`history page: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
      const n0 = performance.now();
      const noop = await fetch(`${target.url()}/healthz`);
      await noop.arrayBuffer();
      noopSamples.push(performance.now() - n0);
      if (!noop.ok) throw new Error(`GET /healthz: ${noop.status}`);
      if (i % 50 === 0) progress.update(`${label}: history page ${i}/${options.historyRequests}`);
    }
    const notes: string[] = [];
    if (failed > 0) notes.push(`${failed} sends failed: ${firstError}`);
    const limit = limitNote(w);
    if (limit) notes.push(limit);
    notes.push(`store: ${targetOptions.databaseUrl ? 'Postgres' : 'PGlite (embedded)'}`);
    row = {
      scenario: 'persistence',
      target: 'chorus',
      extra: {
        storedPerSec: Math.round(storedPerSec),
        serverCpuMsPerStored: round((w.serverCpuSeconds * 1000) / Math.max(1, stored - stored0), 3),
        // Everything Chorus had Postgres do in the window (appends, the push worker's rounds), per message.
        ...(postgresSeconds !== undefined ? { postgresCpuUsPerStored: round((postgresSeconds * 1e6) / Math.max(1, stored - stored0), 1) } : {}),
        historyMessages: options.historyMessages,
        historyP50Ms: round(percentileOf(samples, 0.5)),
        historyP99Ms: round(percentileOf(samples, 0.99)),
        historyMaxMs: round(Math.max(...samples)),
        noopRequestP50Ms: round(percentileOf(noopSamples, 0.5)),
        noopRequestP99Ms: round(percentileOf(noopSamples, 0.99)),
      },
      notes,
    };
  } finally {
    for (const c of connections) c.close();
    await target.stop();
  }
  if (!targetOptions.databaseUrl) {
    row.notes!.push('pg-ceiling: not measured (needs DATABASE_URL)');
    return row;
  }
  // After Chorus has stopped, so the two do not compete for the machine.
  const poolSize = loadConfig({ DATABASE_URL: targetOptions.databaseUrl, JWT_SECRET: BENCH_JWT_SECRET, ...pick(process.env, 'DATABASE_POOL_SIZE') }).databasePoolSize;
  progress.update(`${label}: pg-ceiling reference over ${poolSize} connections`);
  try {
    const ceiling = await runPgCeiling({
      databaseUrl: targetOptions.databaseUrl,
      connections: poolSize,
      rooms: options.publishers,
      batch: Math.max(1, Math.ceil((options.publishers * options.window) / poolSize)),
      seconds: options.seconds,
      messageBytes: options.messageBytes,
    });
    const storedPerSec = Number(row.extra!.storedPerSec);
    row.extra = {
      ...row.extra,
      pgCeilingPerSec: ceiling.rowsPerSec,
      vsPgCeiling: round(storedPerSec / Math.max(1, ceiling.rowsPerSec), 2),
      ...(ceiling.postgresCpuUsPerRow !== undefined ? { pgCeilingPostgresCpuUsPerRow: ceiling.postgresCpuUsPerRow } : {}),
    };
    row.notes!.push(`pg-ceiling: ${ceiling.connections} connections (Chorus's pool), ${ceiling.batch} messages per INSERT (Chorus's SENDs in flight per pool connection)`);
    progress.log(`${label}: pg-ceiling ${ceiling.rowsPerSec} messages/s; Chorus at ${row.extra.vsPgCeiling}× of it`);
  } catch (err) {
    row.notes!.push(`pg-ceiling failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  return row;
}

const pick = (env: NodeJS.ProcessEnv, key: string): Record<string, string> => (env[key] !== undefined ? { [key]: env[key]! } : {});

/** Writes a public room with `count` messages straight into the database, before the server starts. */
async function seedHistory(env: { DATABASE_URL?: string; DATA_DIR?: string }, roomId: string, count: number, onProgress: (done: number) => void): Promise<void> {
  const config = loadConfig({ ...env, JWT_SECRET: BENCH_JWT_SECRET, LOG_LEVEL: 'warn' });
  const logger = createLogger({ level: 'warn', name: 'bench-seed', pretty: false });
  const { db } = await openDatabase(config, logger);
  try {
    await migrate(db, logger);
    const userId = randomUUID();
    await db.query(`INSERT INTO users (id, username, email, password_hash) VALUES ($1, $2, $3, 'x')`, [userId, `history-${userId.slice(0, 8)}`, `history-${userId.slice(0, 8)}@example.com`]);
    await db.query(`INSERT INTO rooms (id, name, private, created_by, member_count, last_seq) VALUES ($1, 'history', false, $2, 1, $3)`, [roomId, userId, count]);
    await db.query(`INSERT INTO memberships (room_id, user_id) VALUES ($1, $2)`, [roomId, userId]);
    for (let from = 1; from <= count; from += SEED_BATCH) {
      const to = Math.min(count, from + SEED_BATCH - 1);
      await db.query(
        `INSERT INTO messages (id, room_id, seq, type, sender_id, sender_username, text, created_at)
         SELECT gen_random_uuid(), $1, s, 'text', $2, 'history', 'history message number ' || s, now() - make_interval(secs => $5::bigint - s)
         FROM generate_series($3::bigint, $4::bigint) s`,
        [roomId, userId, from, to, count],
      );
      onProgress(to);
    }
    await db.query('ANALYZE messages');
  } finally {
    await db.close();
  }
}
