import pg from 'pg';
import { expect } from 'vitest';

/** Asserts that no database this test process created (`createDatabase`'s chorus_bench_<pid>_…) is left. */
export async function expectNoBenchDatabasesLeft(databaseUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    const left = await admin.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`chorus_bench_${process.pid}_%`]);
    expect(left.rows).toEqual([]);
  } finally {
    await admin.end();
  }
}
