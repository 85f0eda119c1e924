import pg from 'pg';
import type { Logger } from '../observability/logger.js';
import type { QueryOptions, SqlDatabase, SqlResult } from './sql-database.js';
import { isConnectionError, toUnavailable } from './sql-errors.js';
import { chorusPgTypes } from './timestamps.js';

export interface PgDatabaseOptions {
  connectionString: string;
  /** Maximum pool size. */
  max?: number;
  /** How long a request waits for a connection before failing as unavailable. */
  connectionTimeoutMillis?: number;
  logger?: Logger;
}

/**
 * Postgres through a pg.Pool. Broken connections are dropped by the pool and
 * replaced on the next request, so the database coming back needs no restart.
 */
export class PgDatabase implements SqlDatabase {
  readonly kind = 'postgres' as const;
  readonly pool: pg.Pool;
  readonly #logger: Logger | undefined;

  constructor(options: PgDatabaseOptions) {
    this.#logger = options.logger;
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.max ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5000,
      keepAlive: true,
      application_name: 'chorus',
      types: chorusPgTypes,
    });
    // An idle client losing its connection (e.g. Postgres restarting) must not crash the process.
    this.pool.on('error', (err) => this.#logger?.warn({ err }, 'idle postgres connection failed; it will be replaced'));
  }

  async query<T = Record<string, unknown>>(text: string, params?: unknown[], options?: QueryOptions): Promise<SqlResult<T>> {
    try {
      const result = await this.pool.query(queryConfig(text, params, options));
      return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
    } catch (err) {
      throw toUnavailable(err);
    }
  }

  async exec(script: string): Promise<void> {
    try {
      // Without parameters pg uses the simple protocol, which accepts several statements.
      await this.pool.query(script);
    } catch (err) {
      throw toUnavailable(err);
    }
  }

  async transaction<T>(fn: (tx: SqlDatabase) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw toUnavailable(err);
    }
    // A checked-out client has no pool listener: without this, a server-side disconnect while
    // the transaction waits on application code would be an unhandled 'error' event.
    let broken: Error | undefined;
    const onError = (err: Error) => {
      broken = err;
      this.#logger?.warn({ err }, 'postgres connection failed during a transaction');
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await fn(new PgClientDatabase(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      if (isConnectionError(err)) broken ??= err instanceof Error ? err : new Error(String(err));
      if (!broken) {
        await client.query('ROLLBACK').catch((rollbackErr: Error) => {
          broken = rollbackErr;
        });
      }
      throw toUnavailable(err);
    } finally {
      client.removeListener('error', onError);
      // Releasing with an error destroys the client instead of returning it to the pool.
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }
}

/** One checked-out connection inside a transaction. */
class PgClientDatabase implements SqlDatabase {
  readonly kind = 'postgres' as const;

  constructor(private readonly client: pg.PoolClient) {}

  async query<T = Record<string, unknown>>(text: string, params?: unknown[], options?: QueryOptions): Promise<SqlResult<T>> {
    try {
      const result = await this.client.query(queryConfig(text, params, options));
      return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
    } catch (err) {
      throw toUnavailable(err);
    }
  }

  async exec(script: string): Promise<void> {
    try {
      await this.client.query(script);
    } catch (err) {
      throw toUnavailable(err);
    }
  }

  transaction<T>(fn: (tx: SqlDatabase) => Promise<T>): Promise<T> {
    return fn(this);
  }

  close(): Promise<void> {
    return Promise.reject(new Error('close() is not available inside a transaction'));
  }
}

/** pg's query config: a named (prepared) statement when `options.prepare` names one. */
function queryConfig(text: string, values: unknown[] | undefined, options: QueryOptions | undefined): pg.QueryConfig {
  return options?.prepare ? { name: options.prepare, text, values } : { text, values };
}
