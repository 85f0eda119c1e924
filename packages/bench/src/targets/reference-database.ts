import { randomUUID } from 'node:crypto';
import { createLogger, loadConfig, migrate, openDatabase } from '@chorus/core';
import { BENCH_JWT_SECRET, createDatabase } from './chorus.js';

/** A fresh database with Chorus's tables (its own migrations), one user, and that user's rooms. */
export interface ReferenceDatabase {
  readonly url: string;
  /** The user every message is written as. */
  readonly userId: string;
  /** Adds public rooms with these ids, created by the user. */
  addRooms(ids: string[]): Promise<void>;
  drop(): Promise<void>;
}

/**
 * What the references that write Chorus's rows (the pg-ceiling, the durable floor) write into:
 * the same tables and indexes as Chorus, in a database of their own that `drop` removes.
 */
export async function createReferenceDatabase(baseUrl: string, username: string): Promise<ReferenceDatabase> {
  const { url, drop } = await createDatabase(baseUrl);
  const userId = randomUUID();
  const withDb = async (fn: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<unknown>): Promise<void> => {
    const config = loadConfig({ DATABASE_URL: url, JWT_SECRET: BENCH_JWT_SECRET, LOG_LEVEL: 'warn' });
    const { db } = await openDatabase(config, createLogger({ level: 'warn', name: `bench-${username}`, pretty: false }));
    try {
      await fn(db);
    } finally {
      await db.close();
    }
  };
  try {
    await withDb(async (db) => {
      await migrate(db, createLogger({ level: 'warn', name: `bench-${username}`, pretty: false }));
      await db.query(`INSERT INTO users (id, username, email, password_hash) VALUES ($1, $2, $3, 'x')`, [userId, username, `${username}@example.com`]);
    });
  } catch (err) {
    await drop().catch(() => undefined);
    throw err;
  }
  return {
    url,
    userId,
    addRooms: (ids) =>
      withDb((db) => db.query(`INSERT INTO rooms (id, name, private, created_by, member_count) SELECT r, $3, false, $2, 1 FROM unnest($1::uuid[]) r`, [ids, userId, username])),
    drop,
  };
}
