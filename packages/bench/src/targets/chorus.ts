import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, loadConfig, openDatabase, TokenService } from '@chorus/core';
import pg from 'pg';
import { openSpec, type ConnectSpec } from '../clients/spec.js';
import type { LoadConnection } from '../clients/connection.js';
import { readHistogram, type Histogram } from '../prom-histogram.js';
import { freePort, spawnServer, type ServerProcess } from '../server-process.js';
import { CHORUS_PASS_THROUGH_ENV as PASS_THROUGH } from './chorus-env.js';
import { chorusSpec } from './chorus-spec.js';
import { inPool, type ConnectRequest, type Target, type TargetOptions } from './target.js';

/** The Chorus server under test runs from its BUILT output (`pnpm build` first). */
export const CHORUS_MAIN = fileURLToPath(new URL('../../../standalone/dist/main.js', import.meta.url));
/**
 * The node flags Chorus is started with in production (the root `pnpm start`, the Dockerfile's CMD,
 * the chart's chatServer.nodeArgs): the server under test runs as deployed. test/chorus-flags.test.ts
 * keeps them equal to `pnpm start`'s.
 */
export const CHORUS_NODE_FLAGS: readonly string[] = ['--min-semi-space-size=16'];
/** Random per run: a secret written in the repository is refused by Chorus (anyone could sign with it). */
export const BENCH_JWT_SECRET = randomBytes(32).toString('base64url');
const PASSWORD = 'benchmark-password';
/** Connections share a pool of signed-up users (signup costs a scrypt hash each). */
const MAX_USERS = 32;
const SETUP_CONCURRENCY = 16;
/** Above this many rooms, setup writes SQL instead of calling the REST api. */
const SQL_SETUP_ROOMS = 50;

type StoreEnv = { DATABASE_URL?: string; DATA_DIR?: string };

export interface ChorusStartOptions extends TargetOptions {
  /** Runs before the servers start, with the env they will get (DATABASE_URL or DATA_DIR): seeds data. */
  seed?: (env: StoreEnv) => Promise<void>;
}

interface BenchUser {
  id: string;
  token: string;
}

export class ChorusTarget implements Target {
  readonly name = 'chorus' as const;
  #users: BenchUser[] = [];
  readonly #roomIds = new Map<string, string>();

  private constructor(
    private servers: ServerProcess[],
    private readonly dropDatabase: (() => Promise<void>) | null,
    private readonly storeEnv: StoreEnv,
    private readonly launch: () => Promise<ServerProcess[]>,
  ) {}

  static async start(options: ChorusStartOptions): Promise<ChorusTarget> {
    const storeEnv: StoreEnv = {};
    let dropDatabase: (() => Promise<void>) | null = null;
    if (options.databaseUrl) {
      const created = await createDatabase(options.databaseUrl);
      storeEnv.DATABASE_URL = created.url;
      dropDatabase = created.drop;
    } else {
      if (options.replicas > 1) throw new Error('several Chorus replicas need DATABASE_URL (PGlite is one process)');
      storeEnv.DATA_DIR = join(options.tmpDir, `chorus-${randomBytes(4).toString('hex')}`);
      await mkdir(storeEnv.DATA_DIR, { recursive: true });
    }
    if (options.seed) await options.seed(storeEnv);
    const launch = async (): Promise<ServerProcess[]> => {
      const servers: ServerProcess[] = [];
      try {
        for (let i = 0; i < options.replicas; i++) {
          const port = await freePort();
          const env: NodeJS.ProcessEnv = {
            PATH: process.env.PATH,
            NODE_ENV: 'production',
            JWT_SECRET: BENCH_JWT_SECRET,
            LOG_LEVEL: 'warn',
            HOST: '127.0.0.1',
            PORT: String(port),
            DRAIN_WINDOW_MS: '0',
            // Publishers in the benchmark send far above the per-connection default (20/s, burst 50).
            SEND_RATE_PER_SECOND: '100000',
            SEND_BURST: '1000000',
            // Connections share a pool of users (up to 2,000 connections per user in many-rooms),
            // so the per-user subscribe limit is raised too; per-connection limits still apply.
            SUBSCRIBE_RATE_PER_SECOND: '100000',
            SUBSCRIBE_BURST: '1000000',
            // The persistence scenario reads 500 history pages back to back as one user.
            HISTORY_READ_RATE_PER_SECOND: '100000',
            HISTORY_READ_BURST: '1000000',
            // Setup signs up users and creates rooms from one address through the REST api.
            SIGNUPS_PER_HOUR: '1000000',
            PASSWORD_HASH_QUEUE: '10000',
            ROOM_CREATE_RATE_PER_MINUTE: '100000',
            ROOM_CREATE_BURST: '1000000',
            MEMBERSHIP_RATE_PER_MINUTE: '100000',
            MEMBERSHIP_BURST: '1000000',
            ...passThrough(process.env),
            ...storeEnv,
            ...options.env,
            ...(options.redisUrl && (options.replicas > 1 || options.databaseUrl) ? { REDIS_URL: options.redisUrl } : {}),
          };
          const prof = [...CHORUS_NODE_FLAGS, ...(options.nodeArgs ?? []), ...(options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [])];
          servers.push(await spawnServer({ args: [...prof, CHORUS_MAIN], env, inspect: options.inspect === true, ready: { kind: 'http', port, path: '/readyz' }, timeoutMs: 120_000 }));
        }
      } catch (err) {
        await Promise.all(servers.map((s) => s.stop()));
        throw err;
      }
      return servers;
    };
    try {
      return new ChorusTarget(await launch(), dropDatabase, storeEnv, launch);
    } catch (err) {
      await dropDatabase?.();
      throw err;
    }
  }

  get pids(): number[] {
    return this.servers.map((s) => s.pid);
  }

  url(replica = 0): string {
    return `http://127.0.0.1:${this.servers[replica % this.servers.length]!.port}`;
  }

  async api<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
    const res = await fetch(this.url() + path, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** Signs up `count` users through the REST api (once; later calls reuse them). */
  async users(count: number): Promise<BenchUser[]> {
    const tag = randomBytes(3).toString('hex');
    const missing = Array.from({ length: Math.max(0, count - this.#users.length) }, (_, i) => this.#users.length + i);
    const created = await inPool(missing, SETUP_CONCURRENCY, async (i) => {
      const session = await this.api<{ user: { id: string }; token: string }>('POST', '/api/auth/signup', {
        username: `bench-${tag}-${i}`,
        email: `bench-${tag}-${i}@example.com`,
        password: PASSWORD,
      });
      return { id: session.user.id, token: session.token };
    });
    this.#users.push(...created);
    return this.#users.slice(0, count);
  }

  /**
   * Rooms with `members` members each. Up to SQL_SETUP_ROOMS rooms go through the REST api
   * (signup, create, join); beyond that the users, rooms and memberships are written with
   * SQL (the PGlite server is restarted around it, as PGlite is one process) and the users'
   * tokens are issued with the server's JWT secret, so thousands of rooms take seconds.
   */
  async setupRooms(count: number, members: number, onProgress?: (done: number, total: number) => void): Promise<string[]> {
    const keys = Array.from({ length: count }, (_, i) => `room-${this.#roomIds.size + i}`);
    if (count > SQL_SETUP_ROOMS) {
      await this.#seedRooms(keys, Math.min(members, MAX_USERS));
      return keys;
    }
    const users = await this.users(Math.min(members, MAX_USERS));
    const owner = users[0]!;
    const total = count * users.length;
    let done = 0;
    await inPool(keys, SETUP_CONCURRENCY, async (key) => {
      const room = await this.api<{ id: string }>('POST', '/api/rooms', { name: key }, owner.token);
      onProgress?.(++done, total);
      for (const user of users.slice(1)) {
        await this.api('POST', `/api/rooms/${room.id}/join`, {}, user.token);
        onProgress?.(++done, total);
      }
      this.#roomIds.set(key, room.id);
    });
    return keys;
  }

  async #seedRooms(keys: string[], userCount: number): Promise<void> {
    const pglite = this.storeEnv.DATA_DIR !== undefined;
    if (pglite) await Promise.all(this.servers.map((s) => s.stop()));
    const config = loadConfig({ ...this.storeEnv, JWT_SECRET: BENCH_JWT_SECRET, LOG_LEVEL: 'warn' });
    const tokens = new TokenService(config.jwt);
    const { db } = await openDatabase(config, createLogger({ level: 'warn', name: 'bench-seed', pretty: false }));
    try {
      const tag = randomBytes(3).toString('hex');
      const users = Array.from({ length: userCount }, (_, i) => ({ id: randomUUID(), username: `seed-${tag}-${i}` }));
      for (const u of users) {
        await db.query('INSERT INTO users (id, username, email, password_hash) VALUES ($1, $2, $3, $4)', [u.id, u.username, `${u.username}@example.com`, 'x']);
      }
      const roomIds = keys.map(() => randomUUID());
      await db.query(
        `INSERT INTO rooms (id, name, private, created_by, member_count)
         SELECT r.id, 'room ' || r.ord, false, $2::uuid, $3::int FROM unnest($1::uuid[]) WITH ORDINALITY AS r(id, ord)`,
        [roomIds, users[0]!.id, users.length],
      );
      await db.query(
        `INSERT INTO memberships (room_id, user_id) SELECT r, u FROM unnest($1::uuid[]) AS r, unnest($2::uuid[]) AS u`,
        [roomIds, users.map((u) => u.id)],
      );
      // Statistics as autovacuum would leave them on a live database: without them the planner
      // reached a sender's membership through all of that user's memberships (2,000 here).
      await db.query('ANALYZE users, rooms, memberships');
      keys.forEach((key, i) => this.#roomIds.set(key, roomIds[i]!));
      for (const u of users) this.#users.push({ id: u.id, token: await tokens.issue({ userId: u.id, username: u.username }) });
      this.#users.splice(0, this.#users.length - users.length); // connections use only the seeded members
    } finally {
      await db.close();
    }
    if (pglite) this.servers = await this.launch();
  }

  roomId(key: string): string {
    const id = this.#roomIds.get(key);
    if (!id) throw new Error(`unknown room ${key}`);
    return id;
  }

  get replicas(): number {
    return this.servers.length;
  }

  spec(request: ConnectRequest): ConnectSpec {
    const server = this.servers[request.replica % this.servers.length]!;
    return chorusSpec(`ws://127.0.0.1:${server.port}/ws`, this.#users[request.member % this.#users.length]!.token, this.roomId(request.room), request);
  }

  connect(request: ConnectRequest): Promise<LoadConnection> {
    return openSpec(this.spec(request), request.onMessage, undefined, request.onError);
  }

  /** Adopts a room created outside the REST api (seeded history): joins the first user to it. */
  async adoptRoom(key: string, roomId: string): Promise<void> {
    const [user] = await this.users(1);
    await this.api('POST', `/api/rooms/${roomId}/join`, {}, user!.token);
    this.#roomIds.set(key, roomId);
  }

  get firstUserToken(): string {
    return this.#users[0]!.token;
  }

  async collectGarbage(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.collectGarbage()));
  }

  async fanoutLatency(): Promise<Histogram | undefined> {
    const texts = await Promise.all(this.servers.map(async (_, i) => (await fetch(`${this.url(i)}/metrics`)).text()));
    return readHistogram(texts.join('\n'), 'chorus_fanout_latency_seconds');
  }

  async heapUsedBytes(): Promise<number> {
    let total = 0;
    for (let i = 0; i < this.servers.length; i++) {
      const text = await (await fetch(`${this.url(i)}/metrics`)).text();
      total += Number(/^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\d+(?:\.\d+)?)/m.exec(text)?.[1] ?? 0);
    }
    return total;
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
    await this.dropDatabase?.();
  }
}

/** Chorus settings a benchmark run may tune from its own environment (e.g. DATABASE_POOL_SIZE=40 pnpm bench). */
function passThrough(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(PASS_THROUGH.filter((k) => env[k] !== undefined).map((k) => [k, env[k]!]));
}

/** A fresh database next to DATABASE_URL's, dropped when the target stops. */
export async function createDatabase(baseUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `chorus_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
