import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createLogger, loadConfig, migrate, openDatabase } from '@chorus/core';
import { openSpec, type ConnectSpec } from '../clients/spec.js';
import type { LoadConnection } from '../clients/connection.js';
import { spawnServer, type ServerProcess } from '../server-process.js';
import { BENCH_JWT_SECRET, createDatabase } from './chorus.js';
import type { ConnectRequest, Target, TargetOptions } from './target.js';

const SCRIPT = fileURLToPath(new URL('../servers/durable-floor-server.mjs', import.meta.url));

/**
 * The durable floor (servers/durable-floor-server.mjs): the ws-ceiling plus storing each message in
 * Chorus's tables and publishing it through Redis, with nothing else. Needs Postgres and Redis; it
 * runs in the many-rooms scenario, where it shows what Chorus's per-message design costs at least.
 */
export class DurableFloorTarget implements Target {
  readonly name = 'durable-floor' as const;
  readonly replicas = 1;

  private constructor(
    private readonly server: ServerProcess,
    /** Its own database, migrated with Chorus's migrations and dropped on stop. */
    readonly databaseUrl: string,
    private readonly dropDatabase: () => Promise<void>,
    private readonly senderId: string,
  ) {}

  static async start(options: TargetOptions): Promise<DurableFloorTarget> {
    if (!options.databaseUrl || !options.redisUrl) throw new Error('durable-floor needs DATABASE_URL and REDIS_URL');
    const { url, drop } = await createDatabase(options.databaseUrl);
    try {
      const senderId = randomUUID();
      await withDatabase(url, async (db) => {
        await migrate(db, createLogger({ level: 'warn', name: 'bench-durable-floor', pretty: false }));
        await db.query(`INSERT INTO users (id, username, email, password_hash) VALUES ($1, 'floor', 'floor@example.com', 'x')`, [senderId]);
      });
      const prof = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [];
      const server = await spawnServer({
        args: [...prof, SCRIPT],
        env: { PATH: process.env.PATH, PORT: '0', DATABASE_URL: url, REDIS_URL: options.redisUrl, SENDER_ID: senderId },
        inspect: options.inspect === true,
        ready: { kind: 'stdout' },
      });
      return new DurableFloorTarget(server, url, drop, senderId);
    } catch (err) {
      await drop().catch(() => undefined);
      throw err;
    }
  }

  get pids(): number[] {
    return [this.server.pid];
  }

  async setupRooms(count: number): Promise<string[]> {
    const ids = Array.from({ length: count }, () => randomUUID());
    await withDatabase(this.databaseUrl, (db) =>
      db.query(`INSERT INTO rooms (id, name, private, created_by, member_count) SELECT r, 'floor', false, $2, 1 FROM unnest($1::uuid[]) r`, [ids, this.senderId]),
    );
    return ids;
  }

  spec(request: ConnectRequest): ConnectSpec {
    return { kind: 'raw-ws', url: `ws://127.0.0.1:${this.server.port}/?room=${request.room}`, receive: request.subscribe };
  }

  connect(request: ConnectRequest): Promise<LoadConnection> {
    return openSpec(this.spec(request), request.onMessage);
  }

  collectGarbage(): Promise<void> {
    return this.server.collectGarbage();
  }

  async heapUsedBytes(): Promise<number> {
    return ((await (await fetch(`http://127.0.0.1:${this.server.port}/stats`)).json()) as { heapUsed: number }).heapUsed;
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.dropDatabase();
  }
}

async function withDatabase<T>(url: string, fn: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<T>): Promise<T> {
  const config = loadConfig({ DATABASE_URL: url, JWT_SECRET: BENCH_JWT_SECRET, LOG_LEVEL: 'warn' });
  const { db } = await openDatabase(config, createLogger({ level: 'warn', name: 'bench-durable-floor', pretty: false }));
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
