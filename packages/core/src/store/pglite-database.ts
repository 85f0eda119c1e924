import { PGlite, type Results, type Transaction } from '@electric-sql/pglite';
import type { SqlDatabase, SqlResult } from './sql-database.js';
import { toUnavailable } from './sql-errors.js';

function toResult<T>(result: Results<T>): SqlResult<T> {
  return { rows: result.rows, rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) };
}

/**
 * Embedded Postgres (PGlite): file-backed in `dataDir`, or in memory without one.
 *
 * PGlite is a single connection. Its `transaction()` holds an exclusive lock for
 * the whole callback and every other query waits for it, so concurrent callers
 * never interleave inside a transaction; queries outside transactions run one at
 * a time in arrival order.
 */
export class PgliteDatabase implements SqlDatabase {
  readonly kind = 'pglite' as const;

  private constructor(readonly pglite: PGlite) {}

  /** Opens (creating on first use) the database in `dataDir`, or an in-memory one. */
  static async open(dataDir?: string): Promise<PgliteDatabase> {
    const pglite = dataDir === undefined ? await PGlite.create() : await PGlite.create({ dataDir });
    return new PgliteDatabase(pglite);
  }

  async query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<SqlResult<T>> {
    try {
      return toResult(await this.pglite.query<T>(text, params));
    } catch (err) {
      throw toUnavailable(err);
    }
  }

  async exec(script: string): Promise<void> {
    try {
      await this.pglite.exec(script);
    } catch (err) {
      throw toUnavailable(err);
    }
  }

  async transaction<T>(fn: (tx: SqlDatabase) => Promise<T>): Promise<T> {
    try {
      return await this.pglite.transaction((tx) => fn(new PgliteTransaction(tx)));
    } catch (err) {
      throw toUnavailable(err);
    }
  }

  async close(): Promise<void> {
    if (!this.pglite.closed) await this.pglite.close();
  }
}

class PgliteTransaction implements SqlDatabase {
  readonly kind = 'pglite' as const;

  constructor(private readonly tx: Transaction) {}

  async query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<SqlResult<T>> {
    return toResult(await this.tx.query<T>(text, params));
  }

  async exec(script: string): Promise<void> {
    await this.tx.exec(script);
  }

  transaction<T>(fn: (tx: SqlDatabase) => Promise<T>): Promise<T> {
    return fn(this);
  }

  close(): Promise<void> {
    return Promise.reject(new Error('close() is not available inside a transaction'));
  }
}
