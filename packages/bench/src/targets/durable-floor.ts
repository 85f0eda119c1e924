import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { openSpec, type ConnectSpec } from '../clients/spec.js';
import type { LoadConnection } from '../clients/connection.js';
import { spawnServer, type ServerProcess } from '../server-process.js';
import { createReferenceDatabase, type ReferenceDatabase } from './reference-database.js';
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
    private readonly database: ReferenceDatabase,
  ) {}

  /** Its own database, migrated with Chorus's migrations and dropped on stop. */
  get databaseUrl(): string {
    return this.database.url;
  }

  static async start(options: TargetOptions): Promise<DurableFloorTarget> {
    if (!options.databaseUrl || !options.redisUrl) throw new Error('durable-floor needs DATABASE_URL and REDIS_URL');
    const database = await createReferenceDatabase(options.databaseUrl, 'floor');
    try {
      const prof = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [];
      const server = await spawnServer({
        args: [...prof, SCRIPT],
        env: { PATH: process.env.PATH, PORT: '0', DATABASE_URL: database.url, REDIS_URL: options.redisUrl, SENDER_ID: database.userId },
        inspect: options.inspect === true,
        ready: { kind: 'stdout' },
      });
      return new DurableFloorTarget(server, database);
    } catch (err) {
      await database.drop().catch(() => undefined);
      throw err;
    }
  }

  get pids(): number[] {
    return [this.server.pid];
  }

  async setupRooms(count: number): Promise<string[]> {
    const ids = Array.from({ length: count }, () => randomUUID());
    await this.database.addRooms(ids);
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
    await this.database.drop();
  }
}

