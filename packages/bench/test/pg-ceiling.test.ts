import { describe, expect, it } from 'vitest';
import { isLocalDatabase } from '../src/proc-stats.js';
import { runPgCeiling } from '../src/scenarios/pg-ceiling.js';
import { expectNoBenchDatabasesLeft } from './bench-databases.js';

const DATABASE_URL = process.env.DATABASE_URL;

describe.skipIf(!DATABASE_URL)('pg-ceiling reference', () => {
  it('stores message rows in Chorus tables over the given connections, then drops its database', async () => {
    const result = await runPgCeiling({ databaseUrl: DATABASE_URL!, connections: 2, rooms: 3, batch: 5, seconds: 1, messageBytes: 100 });
    expect(result.connections).toBe(2);
    expect(result.batch).toBe(5);
    expect(result.rowsPerSec).toBeGreaterThan(0);
    // CI's Postgres runs on this machine, so its CPU per row is read from /proc.
    if (isLocalDatabase(DATABASE_URL!)) expect(result.postgresCpuUsPerRow).toBeGreaterThan(0);
    await expectNoBenchDatabasesLeft(DATABASE_URL!);
  });
});

describe('isLocalDatabase', () => {
  it('takes loopback hosts and Unix sockets as this machine, and anything else as another', () => {
    for (const url of ['postgres://postgres@127.0.0.1:5432/test', 'postgres://u@localhost/db', 'postgres://u@[::1]:5432/db', 'postgres://%2Fvar%2Frun%2Fpostgresql/db']) {
      expect(isLocalDatabase(url), url).toBe(true);
    }
    for (const url of ['postgres://u@db.internal:5432/db', 'postgres://u@10.0.0.5/db', 'not a url']) expect(isLocalDatabase(url), url).toBe(false);
  });
});
