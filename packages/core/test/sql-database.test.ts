import { Writable } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChorusError } from '../src/errors.js';
import { PgDatabase } from '../src/store/pg-database.js';
import { PgliteDatabase } from '../src/store/pglite-database.js';
import type { SqlDatabase } from '../src/store/sql-database.js';
import { isoTimestamp, type Timestamp } from '../src/store/timestamps.js';
import { createTestDatabase, storeBackends } from '../src/testing/index.js';

const backends = storeBackends();

/** A logger whose lines can be awaited. */
function capturingLogger() {
  const lines: Array<{ msg: string; level: number }> = [];
  const waiters: Array<{ match: (msg: string) => boolean; remaining: number; resolve: () => void }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      const line = JSON.parse(chunk.toString()) as { msg: string; level: number };
      lines.push(line);
      for (const w of waiters.filter((w) => w.match(line.msg))) if (--w.remaining === 0) w.resolve();
      done();
    },
  });
  return {
    logger: pino({ level: 'debug' }, stream),
    lines,
    /** Resolves once `times` log lines have matched. */
    waitFor: (match: (msg: string) => boolean, times = 1) =>
      new Promise<void>((resolve) => waiters.push({ match, remaining: times, resolve })),
  };
}

describe.each(backends)('SqlDatabase (%s)', (backend) => {
  let db: SqlDatabase;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    if (backend === 'pglite') {
      db = await PgliteDatabase.open();
      cleanup = () => db.close();
    } else {
      const database = await createTestDatabase();
      db = new PgDatabase({ connectionString: database.url, max: 4 });
      cleanup = async () => {
        await db.close();
        await database.drop();
      };
    }
    await db.exec('CREATE TABLE counter (id int PRIMARY KEY, value int NOT NULL); INSERT INTO counter VALUES (1, 0);');
  });
  afterAll(async () => {
    await cleanup?.();
  });

  it('reads timestamptz as the same instant in every session time zone, to the millisecond', async () => {
    const cases: Array<[string, string]> = [
      ['2026-12-07 05:52:35+00', '2026-12-07T05:52:35.000Z'],
      ['2026-12-07 05:52:35.1+00', '2026-12-07T05:52:35.100Z'],
      ['2026-12-07 05:52:35.123456+00', '2026-12-07T05:52:35.123Z'],
      ['2026-12-31 23:59:59.999999+00', '2026-12-31T23:59:59.999Z'],
      ['1999-01-01 00:00:00.5-05', '1999-01-01T05:00:00.500Z'],
      ['2026-03-29 02:30:00+05:30', '2026-03-28T21:00:00.000Z'],
    ];
    for (const zone of ['UTC', 'Asia/Kolkata', 'America/St_Johns']) {
      await db.transaction(async (tx) => {
        await tx.query(`SET LOCAL TIME ZONE '${zone}'`);
        const { rows } = await tx.query<{ at: Timestamp }>('SELECT unnest($1::timestamptz[]) AS at', [cases.map(([text]) => text)]);
        expect(rows.map((row) => isoTimestamp(row.at)), zone).toEqual(cases.map(([, iso]) => iso));
      });
    }
  });

  it('runs a named prepared statement with fresh parameters each time (Postgres keeps it per connection)', async () => {
    const text = 'SELECT n FROM generate_series(1, $1::int) AS n';
    await db.transaction(async (tx) => {
      expect((await tx.query<{ n: number }>(text, [2], { prepare: 'test_series' })).rows).toEqual([{ n: 1 }, { n: 2 }]);
      expect((await tx.query<{ n: number }>(text, [1], { prepare: 'test_series' })).rows).toEqual([{ n: 1 }]);
      if (backend !== 'pglite') {
        const prepared = await tx.query<{ name: string }>('SELECT name FROM pg_prepared_statements');
        expect(prepared.rows.map((r) => r.name)).toContain('test_series');
      }
    });
  });

  it('reports its kind, rows and rowCount', async () => {
    expect(db.kind).toBe(backend === 'pglite' ? 'pglite' : 'postgres');
    const selected = await db.query<{ n: number }>('SELECT n FROM generate_series(1, 3) AS n WHERE n > $1', [1]);
    expect(selected).toEqual({ rows: [{ n: 2 }, { n: 3 }], rowCount: 2 });
    await db.exec('CREATE TABLE scratch (n int); INSERT INTO scratch VALUES (1), (2), (3);');
    expect((await db.query('DELETE FROM scratch WHERE n >= $1', [2])).rowCount).toBe(2);
  });

  it('commits a transaction and rolls it back when the callback throws', async () => {
    await db.transaction(async (tx) => {
      await tx.query('UPDATE counter SET value = 10 WHERE id = 1');
      // A nested transaction joins the enclosing one.
      await tx.transaction((inner) => inner.query('UPDATE counter SET value = value + 1 WHERE id = 1'));
    });
    const failure = new Error('boom');
    await expect(
      db.transaction(async (tx) => {
        await tx.query('UPDATE counter SET value = 99 WHERE id = 1');
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect((await db.query<{ value: number }>('SELECT value FROM counter WHERE id = 1')).rows[0]?.value).toBe(11);
  });

  it('runs concurrent transactions without interleaving their statements', async () => {
    await db.query('UPDATE counter SET value = 0 WHERE id = 1');
    // Read-modify-write in application code: only correct if no other transaction runs in between.
    // (On Postgres the row lock taken by SELECT ... FOR UPDATE provides that; PGlite serialises.)
    await Promise.all(
      Array.from({ length: 20 }, () =>
        db.transaction(async (tx) => {
          const { rows } = await tx.query<{ value: number }>('SELECT value FROM counter WHERE id = 1 FOR UPDATE');
          await tx.query('UPDATE counter SET value = $1 WHERE id = 1', [rows[0]!.value + 1]);
        }),
      ),
    );
    expect((await db.query<{ value: number }>('SELECT value FROM counter WHERE id = 1')).rows[0]?.value).toBe(20);
  });

  it('rejects SQL errors with their SQLSTATE', async () => {
    await expect(db.query('SELECT * FROM no_such_table')).rejects.toMatchObject({ code: '42P01' });
  });
});

describe('PgDatabase connection failures', () => {
  it('rejects with unavailable when Postgres cannot be reached', async () => {
    const db = new PgDatabase({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMillis: 2000 });
    try {
      await expect(db.query('SELECT 1')).rejects.toMatchObject({ name: 'ChorusError', code: 'unavailable', status: 503 });
      await expect(db.transaction(async () => 1)).rejects.toBeInstanceOf(ChorusError);
    } finally {
      await db.close();
    }
  });

  describe.runIf(backends.includes('postgres'))('with a server', () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    beforeAll(async () => {
      database = await createTestDatabase();
    });
    afterAll(async () => {
      await database?.drop();
    });

    async function terminateAll(): Promise<number> {
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      try {
        const { rowCount } = await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid()`,
        );
        return rowCount ?? 0;
      } finally {
        await admin.end();
      }
    }

    it('survives idle connections being killed and reconnects by itself', async () => {
      const { logger, waitFor } = capturingLogger();
      const db = new PgDatabase({ connectionString: database.url, max: 2, logger });
      try {
        await Promise.all([db.query('SELECT pg_sleep(0.05)'), db.query('SELECT pg_sleep(0.05)')]);
        const idle = db.pool.idleCount;
        expect(idle).toBe(2);
        // Wait for every idle client to see its termination: a query handed to a client whose
        // FATAL is still in flight would fail, which is the server's doing, not the pool's.
        const idleFailures = waitFor((msg) => msg.includes('idle postgres connection failed'), idle);
        expect(await terminateAll()).toBeGreaterThanOrEqual(idle);
        await idleFailures; // handled by the pool listener instead of crashing the process
        expect((await db.query<{ ok: number }>('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
      } finally {
        await db.close();
      }
    });

    it('fails a transaction whose connection dies as unavailable, then recovers', async () => {
      const db = new PgDatabase({ connectionString: database.url, max: 1 });
      try {
        await expect(
          db.transaction(async (tx) => {
            await tx.query('SELECT pg_terminate_backend(pg_backend_pid())');
          }),
        ).rejects.toMatchObject({ code: 'unavailable' });
        expect((await db.query<{ ok: number }>('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
      } finally {
        await db.close();
      }
    });
  });
});
