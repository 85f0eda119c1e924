/**
 * The write path without the server: Chorus's group-commit append (SqlStore.appendMemberMessages,
 * the statement every SEND is stored by) against the pg-ceiling's plain multi-row insert, over
 * the same connections, batch size and rooms, on a fresh database. It separates what the
 * statement costs Postgres from what the rest of Chorus (WebSocket, STOMP, receipts, publish)
 * costs, which the persistence scenario measures together.
 *
 *   DATABASE_URL=postgres://… pnpm --filter @chorus/bench write-path -- [connections] [batch] [seconds] [members]
 *
 * `members` (default 1, the persistence scenario's shape) makes every room a group of that many:
 * the writer and members − 1 others, none with a push device, so the append's push probe
 * (push-job-sql.ts) has every member to look at and finds nobody to notify.
 * Prints one JSON line per statement: stored messages/s, this process's CPU per message and,
 * where Postgres runs on this machine, Postgres's CPU per message.
 */
import { randomUUID } from 'node:crypto';
import { createLogger, loadConfig, migrate, openDatabase, SqlStore, type NewMemberMessage } from '@chorus/core';
import pg from 'pg';
import { stampedText } from './clients/payload.js';
import { sleep } from './meter.js';
import { postgresCpuWindow } from './proc-stats.js';
import { STORE_SQL } from './servers/store-sql.mjs';
import { BENCH_JWT_SECRET, createDatabase } from './targets/chorus.js';

const ROOMS = 64;
const MESSAGE_BYTES = 140;

interface Setup {
  url: string;
  store: SqlStore;
  roomIds: string[];
  senderIds: string[];
  close(): Promise<void>;
}

async function setUp(baseUrl: string, connections: number, members: number): Promise<Setup> {
  const { url, drop } = await createDatabase(baseUrl);
  const config = loadConfig({ DATABASE_URL: url, JWT_SECRET: BENCH_JWT_SECRET, LOG_LEVEL: 'warn', DATABASE_POOL_SIZE: String(connections) });
  const logger = createLogger({ level: 'warn', name: 'bench-write-path', pretty: false });
  const { db } = await openDatabase(config, logger);
  await migrate(db, logger);
  const store = new SqlStore(db);
  const roomIds: string[] = [];
  const senderIds: string[] = [];
  // One room per sender, the sender its only member unless `members` says more.
  for (let i = 0; i < ROOMS; i++) {
    const user = await store.createUser({ username: `writer${i}`, email: `writer${i}@bench.invalid`, passwordHash: 'x' });
    const room = await store.createRoom({ name: `write-path ${i}`, private: false, createdBy: user.id });
    senderIds.push(user.id);
    roomIds.push(room.id);
  }
  for (let k = 1; k < members; k++) {
    const member = await store.createUser({ username: `member${k}`, email: `member${k}@bench.invalid`, passwordHash: 'x' });
    for (const roomId of roomIds) await store.addMember(roomId, member.id);
  }
  return { url, store, roomIds, senderIds, close: async () => { await db.close(); await drop(); } };
}

/** Runs `write(k)` in `connections` loops (loop k owns rooms k, k + n, …); returns messages/s. */
async function measure(databaseUrl: string, connections: number, batch: number, seconds: number, write: (k: number, next: () => number) => Promise<void>) {
  let stored = 0;
  let running = true;
  const loops = Array.from({ length: connections }, async (_, k) => {
    let i = 0;
    const next = () => k + connections * (i++ % Math.ceil((ROOMS - k) / connections));
    while (running) {
      await write(k, next);
      stored += batch;
    }
  });
  await sleep(1000);
  const stored0 = stored;
  const cpu0 = process.cpuUsage();
  const postgresCpu = postgresCpuWindow(databaseUrl);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const postgresSeconds = postgresCpu();
  const n = stored - stored0;
  running = false;
  await Promise.all(loops);
  const perMessageUs = (us: number) => Math.round((us / n) * 10) / 10;
  return {
    perSec: Math.round(n / elapsed),
    clientCpuUsPerMessage: perMessageUs(cpu.user + cpu.system),
    ...(postgresSeconds !== undefined ? { postgresCpuUsPerMessage: perMessageUs(postgresSeconds * 1e6) } : {}),
  };
}

async function main(): Promise<void> {
  const baseUrl = process.env.DATABASE_URL;
  if (!baseUrl) throw new Error('DATABASE_URL must name a Postgres server (a database of it is created and dropped)');
  const [connections = 10, batch = 26, seconds = 5, members = 1] = process.argv.slice(2).filter((a) => a !== '--').map(Number);
  if (![connections, batch, seconds, members].every((n) => Number.isInteger(n) && n > 0) || connections > ROOMS || members > 1000) {
    throw new Error(`usage: write-path [connections 1..${ROOMS}] [batch] [seconds] [members 1..1000]`);
  }
  const text = stampedText(MESSAGE_BYTES);

  const chorus = await setUp(baseUrl, connections, members);
  try {
    const result = await measure(baseUrl, connections, batch, seconds, async (_k, next) => {
      const inputs: NewMemberMessage[] = [];
      for (let i = 0; i < batch; i++) {
        const j = next();
        inputs.push({ roomId: chorus.roomIds[j]!, senderId: chorus.senderIds[j]!, text });
      }
      const stored = await chorus.store.appendMemberMessages(inputs);
      if (stored.includes(null)) throw new Error('the append refused a member of the room');
    });
    console.log(JSON.stringify({ statement: 'chorus append', connections, batch, members, ...result }));
  } finally {
    await chorus.close();
  }

  const ceiling = await setUp(baseUrl, 1, members);
  const clients = await Promise.all(
    Array.from({ length: connections }, async () => {
      const client = new pg.Client({ connectionString: ceiling.url });
      await client.connect();
      return client;
    }),
  );
  try {
    // Each room's next seq follows what setUp stored in it (its creation, the members' joins).
    const { rows: roomSeqs } = await clients[0]!.query<{ id: string; last_seq: string }>('SELECT id, last_seq FROM rooms');
    const lastSeq = new Map(roomSeqs.map((r) => [r.id, Number(r.last_seq)]));
    const seqs = ceiling.roomIds.map((id) => lastSeq.get(id)!);
    const result = await measure(baseUrl, connections, batch, seconds, async (k, next) => {
      const ids: string[] = [];
      const rooms: string[] = [];
      const seq: number[] = [];
      const texts: string[] = [];
      for (let i = 0; i < batch; i++) {
        const j = next();
        ids.push(randomUUID());
        rooms.push(ceiling.roomIds[j]!);
        seq.push(++seqs[j]!);
        texts.push(text);
      }
      await clients[k]!.query(STORE_SQL, [ids, rooms, seq, texts, ceiling.senderIds[0], 'ceiling']);
    });
    console.log(JSON.stringify({ statement: 'pg-ceiling insert', connections, batch, members, ...result }));
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await ceiling.close();
  }
}

await main();
