import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { assertSchemaCurrent, migrate, MIGRATIONS_DIR, SchemaVersionError } from '../src/store/migrate.js';
import { openStore } from '../src/store/open-store.js';
import { PgDatabase } from '../src/store/pg-database.js';
import { createTestDatabase, storeBackends } from '../src/testing/index.js';

const silent = pino({ level: 'silent' });
const shipped = readdirSync(MIGRATIONS_DIR)
  .filter((f) => /^\d+\.do\..*\.sql$/.test(f))
  .map((f) => Number(f.split('.')[0]))
  .sort((a, b) => a - b);
const latest = shipped[shipped.length - 1]!;
const run = promisify(execFile);
const cliEnv = (env: Record<string, string>) => ({ PATH: process.env['PATH'], NODE_ENV: 'test', LOG_LEVEL: 'info', ...env });
/** Runs the migrate CLI from source; resolves with its exit code and output. */
async function migrateCli(env: Record<string, string>): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/cli/migrate.ts'], {
      cwd: join(import.meta.dirname, '..'),
      env: cliEnv(env),
    });
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

it('ships migrations numbered from 1 without gaps', () => {
  expect(shipped).toEqual(shipped.map((_, i) => i + 1));
});

describe('PGlite directory', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chorus-pglite-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses an un-migrated database, migrates it, and keeps its data when reopened', async () => {
    const config = { ...loadConfig({ NODE_ENV: 'test', DATA_DIR: join(dir, 'data') }), runMigrations: false };

    const refused = openStore(config, silent);
    await expect(refused).rejects.toBeInstanceOf(SchemaVersionError);
    await expect(refused).rejects.toMatchObject({ current: 0, latest });

    const first = await openStore({ ...config, runMigrations: true }, silent);
    expect(first.kind).toBe('pglite');
    expect(first.description).toBe(`pglite ${join(dir, 'data')}`);
    await assertSchemaCurrent(first.db);
    const user = await first.store.createUser({ username: 'keeper', email: 'keeper@example.test', passwordHash: 'h' });
    const room = await first.store.createRoom({ name: 'kept', private: false, createdBy: user.id });
    await first.store.appendMessage({ roomId: room.id, senderId: user.id, type: 'text', text: 'still here' });
    expect(await migrate(first.db, silent)).toEqual([]);
    await first.store.close();

    const reopened = await openStore(config, silent);
    try {
      expect(await reopened.store.getUser(user.id)).toEqual(user);
      expect((await reopened.store.listMessages(room.id, { limit: 10 })).map((m) => m.text)).toEqual(['still here']);
    } finally {
      await reopened.store.close();
    }
  });
});

describe.runIf(storeBackends().includes('postgres'))('Postgres', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('applies each migration exactly once when several replicas migrate at the same time', async () => {
    const replicas = Array.from({ length: 4 }, () => new PgDatabase({ connectionString: database.url, max: 2 }));
    try {
      await expect(assertSchemaCurrent(replicas[0]!)).rejects.toMatchObject({ name: 'SchemaVersionError', current: 0, latest });

      const results = await Promise.all(replicas.map((db) => migrate(db, silent)));
      const applied = results.flat().map((m) => m.version);
      expect(applied.sort((a, b) => a - b)).toEqual(shipped);
      expect(results.filter((r) => r.length > 0)).toHaveLength(1);

      const { rows } = await replicas[0]!.query<{ version: string; n: string }>(
        'SELECT version::text, count(*)::text AS n FROM schemaversion WHERE version > 0 GROUP BY version ORDER BY version::bigint',
      );
      expect(rows).toEqual(shipped.map((v) => ({ version: String(v), n: '1' })));
      for (const db of replicas) await assertSchemaCurrent(db);
    } finally {
      await Promise.all(replicas.map((db) => db.close()));
    }
  });

  it('runs as a CLI that exits 0 when migrated and 1 when the database is unreachable', async () => {
    const fresh = await createTestDatabase();
    try {
      const ok = await migrateCli({ DATABASE_URL: fresh.url });
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain(`applied ${shipped.length} migration(s)`);
      const again = await migrateCli({ DATABASE_URL: fresh.url });
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('nothing to migrate');
    } finally {
      await fresh.drop();
    }
  });
});

it('the migrate CLI exits 1 when the database is unreachable and 78 on bad configuration', async () => {
  expect((await migrateCli({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' })).code).toBe(1);
  expect((await migrateCli({ DATABASE_URL: 'mysql://localhost/x' })).code).toBe(78);
});
