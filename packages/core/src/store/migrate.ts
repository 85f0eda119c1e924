import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import Postgrator from 'postgrator';
import type { Logger } from '../observability/logger.js';
import type { SqlDatabase } from './sql-database.js';

/** `packages/core/migrations`, from both src/store and dist/store. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** Fixed pg_advisory lock key ("chorus migrations"), shared by every replica. */
export const MIGRATION_LOCK_KEY = 7_411_950_233;

export interface AppliedMigration {
  version: number;
  name: string;
}

/** Thrown when the database schema is older than the newest migration this build ships. */
export class SchemaVersionError extends Error {
  constructor(readonly current: number, readonly latest: number) {
    super(
      `database schema is at version ${current} but this build needs version ${latest}: ` +
        'run `pnpm migrate` (or start a service with RUN_MIGRATIONS=true)',
    );
    this.name = 'SchemaVersionError';
  }
}

function postgrator(db: SqlDatabase): Postgrator {
  return new Postgrator({
    driver: 'pg',
    schemaTable: 'schemaversion',
    migrationPattern: posix.join(MIGRATIONS_DIR.split('\\').join('/'), '*.sql'),
    execQuery: (sql) => db.query(sql),
    execSqlScript: (sql) => db.exec(sql),
  });
}

/**
 * Applies pending migrations and returns those it applied (empty when current).
 *
 * Everything runs in ONE transaction on one connection that first takes
 * pg_advisory_xact_lock(MIGRATION_LOCK_KEY): replicas starting together queue on
 * the lock and, once it is theirs, find the work done. A failing migration rolls
 * back completely (Postgres DDL is transactional), so the schema never stays
 * half-migrated. Consequence for migration authors: no statements that refuse to
 * run in a transaction (CREATE INDEX CONCURRENTLY, ALTER TYPE ... ADD VALUE on old servers).
 */
export async function migrate(db: SqlDatabase, logger: Logger): Promise<AppliedMigration[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    const migrator = postgrator(tx);
    migrator.on('migration-started', (m) => logger.info({ version: m.version, migration: m.name }, 'applying migration'));
    const applied = await migrator.migrate();
    const result = applied.map((m) => ({ version: m.version, name: m.name }));
    const version = await migrator.getDatabaseVersion();
    logger.info({ applied: result.map((m) => m.version), version }, result.length ? 'migrations applied' : 'schema is current');
    return result;
  });
}

/** Throws SchemaVersionError when the database lags behind the newest shipped migration. */
export async function assertSchemaCurrent(db: SqlDatabase): Promise<void> {
  const migrator = postgrator(db);
  const latest = await migrator.getMaxVersion();
  const current = await migrator.getDatabaseVersion();
  if (current < latest) throw new SchemaVersionError(current, latest);
}
