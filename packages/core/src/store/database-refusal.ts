import { StartupError } from '../startup-error.js';

/** Postgres's and the network's codes for "this database cannot be used as configured". */
const DATABASE_REFUSALS: Record<string, string> = {
  '3D000': 'create it with createdb, or point DATABASE_URL at an existing one',
  '28P01': 'Postgres refused the password; check the credentials in DATABASE_URL',
  '28000': 'Postgres refused the connection (pg_hba.conf or the role); check DATABASE_URL',
  ECONNREFUSED: 'nothing accepts connections there; is Postgres running, and are the host and port in DATABASE_URL right?',
  ENOTFOUND: 'the host name in DATABASE_URL does not resolve',
  EAI_AGAIN: 'the host name in DATABASE_URL could not be resolved (DNS unavailable)',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
};

/**
 * `err` as a StartupError when it says the database at `where` cannot be used as configured;
 * otherwise `err` itself (a failing migration keeps its stack).
 */
export function databaseStartupError(err: unknown, where: string): unknown {
  // The store wraps connection failures as "database unavailable": the reason is in the causes.
  for (let cause: unknown = err, depth = 0; cause instanceof Error && depth < 5; cause = firstCause(cause), depth++) {
    const code = (cause as { code?: unknown }).code;
    const advice = typeof code === 'string' ? DATABASE_REFUSALS[code] : undefined;
    if (advice !== undefined) return new StartupError(`cannot open the store at ${where}: ${cause.message || code} (${advice})`, { cause: err });
  }
  return err;
}

/** An error's cause, or the first of an AggregateError's errors (a host name with several addresses). */
function firstCause(err: Error): unknown {
  return err.cause ?? (err instanceof AggregateError ? err.errors[0] : undefined);
}
