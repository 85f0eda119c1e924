export type DatabaseKind = 'postgres' | 'pglite';

export interface SqlResult<T> {
  rows: T[];
  /** Rows affected by INSERT/UPDATE/DELETE, or rows returned by SELECT. */
  rowCount: number;
}

export interface QueryOptions {
  /**
   * Run as a named server-side prepared statement (Postgres; PGlite ignores it): parsed once
   * per connection, and planned once when Postgres finds its generic plan no worse than
   * per-call plans. For hot statements whose planning costs more than their execution (the
   * group-commit append: ~1.2 ms to plan a 20-row batch that executes in well under that).
   * One name must always mean one text.
   */
  prepare?: string;
}

/**
 * The one seam between Chorus's SQL and a database engine. Both implementations
 * speak the same Postgres dialect: `PgDatabase` (a pg.Pool) and `PgliteDatabase`
 * (embedded, one connection).
 *
 * Failures of the connection itself (refused, terminated, shut down) reject with
 * ChorusError('unavailable'); SQL errors reject with the driver's error, which
 * carries the SQLSTATE in `code` (see sql-errors.ts).
 */
export interface SqlDatabase {
  readonly kind: DatabaseKind;
  /** One statement, `$1..$n` placeholders. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[], options?: QueryOptions): Promise<SqlResult<T>>;
  /** A script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
  /**
   * Runs `fn` inside BEGIN/COMMIT on one connection, rolling back if it throws.
   * Calling `transaction` on `tx` joins the enclosing transaction.
   */
  transaction<T>(fn: (tx: SqlDatabase) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
