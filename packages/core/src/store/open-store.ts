import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ChorusConfig } from '../config/config.js';
import type { Logger } from '../observability/logger.js';
import { databaseStartupError } from './database-refusal.js';
import { assertSchemaCurrent, migrate } from './migrate.js';
import { PgDatabase } from './pg-database.js';
import { PgliteDatabase } from './pglite-database.js';
import type { DatabaseKind, SqlDatabase } from './sql-database.js';
import { SqlStore } from './sql-store.js';
import type { Store } from './store.js';

export interface OpenedDatabase {
  db: SqlDatabase;
  kind: DatabaseKind;
  /** Where the data lives, safe to log (no credentials). */
  description: string;
}

export interface OpenedStore extends OpenedDatabase {
  store: Store;
}

/** "postgres://host:port/db" without user or password. */
function describeUrl(connectionString: string): string {
  const url = new URL(connectionString);
  return `postgres://${url.host}${url.pathname}`;
}

/** DATABASE_URL → Postgres (pool of config.databasePoolSize); otherwise PGlite files in DATA_DIR. */
export async function openDatabase(config: ChorusConfig, logger: Logger): Promise<OpenedDatabase> {
  if (config.databaseUrl) {
    const db = new PgDatabase({ connectionString: config.databaseUrl, max: config.databasePoolSize, logger });
    return { db, kind: 'postgres', description: describeUrl(config.databaseUrl) };
  }
  const dir = resolve(config.dataDir);
  await mkdir(dir, { recursive: true });
  const db = await PgliteDatabase.open(dir);
  return { db, kind: 'pglite', description: `pglite ${dir}` };
}

/**
 * Opens the configured database and returns a Store over it, after migrating
 * (config.runMigrations, the default) or verifying that the schema is current.
 * Closes the database again if either fails; a database that cannot be reached or used as
 * configured fails with a StartupError.
 */
export async function openStore(
  config: ChorusConfig,
  logger: Logger,
  options: { migrate?: boolean } = {},
): Promise<OpenedStore> {
  const opened = await openDatabase(config, logger);
  try {
    if (options.migrate ?? config.runMigrations) await migrate(opened.db, logger);
    else await assertSchemaCurrent(opened.db);
  } catch (err) {
    await opened.db.close().catch(() => undefined);
    // The first statement is the first connection: a database that cannot be used says so in one line.
    throw databaseStartupError(err, opened.description);
  }
  logger.info({ database: opened.description, kind: opened.kind }, 'store ready');
  return { ...opened, store: new SqlStore(opened.db) };
}
