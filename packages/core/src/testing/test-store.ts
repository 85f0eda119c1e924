import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { migrate } from '../store/migrate.js';
import { PgDatabase } from '../store/pg-database.js';
import { PgliteDatabase } from '../store/pglite-database.js';
import type { SqlDatabase } from '../store/sql-database.js';
import { SqlStore } from '../store/sql-store.js';

export type StoreBackend = 'pglite' | 'postgres';

/**
 * The Store backends a test suite must cover: PGlite always, Postgres when
 * DATABASE_URL is set. Under CI a missing DATABASE_URL is an error, so CI never
 * silently skips the Postgres half.
 */
export function storeBackends(): StoreBackend[] {
  if (process.env['DATABASE_URL']) return ['pglite', 'postgres'];
  if (process.env['CI']) throw new Error('CI is set but DATABASE_URL is not: the Postgres store tests would be skipped');
  return ['pglite'];
}

export interface TestStore {
  store: SqlStore;
  db: SqlDatabase;
  /** Closes the store; for Postgres also drops the database it created. */
  cleanup(): Promise<void>;
}

const silent = pino({ level: 'silent' });

/** Runs `sql` on a one-off connection to `connectionString`. */
async function admin(connectionString: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh database named chorus_t_<random> on the DATABASE_URL server; returns its URL. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = process.env['DATABASE_URL'];
  if (!base) throw new Error('DATABASE_URL is not set');
  const name = `chorus_t_${randomBytes(6).toString('hex')}`;
  await admin(base, `CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(base, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/**
 * A migrated, empty store. Postgres: a new database on the DATABASE_URL server,
 * dropped by cleanup(). PGlite: in memory. Creating one costs seconds, so share
 * one per test file and isolate tests with fresh users and rooms.
 */
export async function createTestStore(kind: StoreBackend): Promise<TestStore> {
  if (kind === 'pglite') {
    const db = await PgliteDatabase.open();
    await migrate(db, silent);
    return { store: new SqlStore(db), db, cleanup: () => db.close() };
  }
  const database = await createTestDatabase();
  const db = new PgDatabase({ connectionString: database.url, max: 10, logger: silent });
  try {
    await migrate(db, silent);
  } catch (err) {
    await db.close();
    await database.drop();
    throw err;
  }
  return {
    store: new SqlStore(db),
    db,
    cleanup: async () => {
      await db.close();
      await database.drop();
    },
  };
}
