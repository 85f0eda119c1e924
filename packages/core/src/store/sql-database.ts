export type DatabaseKind = 'postgres' | 'pglite';

export interface SqlResult<T> {
  rows: T[];
  /** Rows affected by INSERT/UPDATE/DELETE, or rows returned by SELECT. */
  rowCount: number;
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
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<SqlResult<T>>;
  /** A script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
  /**
   * Runs `fn` inside BEGIN/COMMIT on one connection, rolling back if it throws.
   * Calling `transaction` on `tx` joins the enclosing transaction.
   */
  transaction<T>(fn: (tx: SqlDatabase) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
