import { describe, expect, it } from 'vitest';
import { runPgCeiling } from '../src/scenarios/pg-ceiling.js';
import { expectNoBenchDatabasesLeft } from './bench-databases.js';

const DATABASE_URL = process.env.DATABASE_URL;

describe.skipIf(!DATABASE_URL)('pg-ceiling reference', () => {
  it('stores message rows in Chorus tables over the given connections, then drops its database', async () => {
    const result = await runPgCeiling({ databaseUrl: DATABASE_URL!, connections: 2, rooms: 3, batch: 5, seconds: 1, messageBytes: 100 });
    expect(result.connections).toBe(2);
    expect(result.batch).toBe(5);
    expect(result.rowsPerSec).toBeGreaterThan(0);
    await expectNoBenchDatabasesLeft(DATABASE_URL!);
  });
});
