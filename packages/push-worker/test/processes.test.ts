import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate, PgDatabase, SqlPushQueue, SqlStore } from '@chorus/core';
import { createTestDatabase } from '@chorus/core/testing';
import type { FakeFcm } from './support/fake-fcm.js';
import { eventually, silentLogger, startFakeFcm, World } from './support/world.js';
import { startWorkerProcess, type WorkerProcess } from './support/worker-process.js';

const haveDatabase = Boolean(process.env.DATABASE_URL);
if (process.env.CI && !haveDatabase) throw new Error('CI requires DATABASE_URL for the multi-process push worker tests');

/** Worker processes sharing one Postgres queue (several processes need a real server, not PGlite). */
describe.runIf(haveDatabase)('push worker processes on one Postgres queue', () => {
  let database: { url: string; drop(): Promise<void> };
  let db: PgDatabase;
  let store: SqlStore;
  let queue: SqlPushQueue;
  let world: World;
  let fcm: FakeFcm;
  let restore: () => Promise<void>;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    db = new PgDatabase({ connectionString: database.url, max: 5, logger: silentLogger });
    await migrate(db, silentLogger);
    store = new SqlStore(db);
    queue = new SqlPushQueue(db);
    world = new World(store);
    ({ fcm, restore } = await startFakeFcm());
  }, 60_000);

  afterAll(async () => {
    await restore?.();
    await db?.close();
    await database?.drop();
  });

  beforeEach(() => fcm.reset());
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.kill9()));
  });

  async function worker(env: Record<string, string> = {}, serviceAccount = fcm.serviceAccount()): Promise<WorkerProcess> {
    const w = await startWorkerProcess({ databaseUrl: database.url, fcm, serviceAccount, env });
    workers.push(w);
    return w;
  }

  it('sends after a kill -9 between claiming and acknowledging', async () => {
    const alice = await world.user('alice');
    const bob = await world.user('bob', ['android']);
    const room = await world.room(alice, [bob]);
    // The first send is never answered: the worker has claimed the job and waits on FCM.
    fcm.script = (_send, previous) => (previous === 0 ? 'hold' : { status: 200 });

    const first = await worker({ PUSH_LEASE_MS: '1500' });
    const [message] = await world.say(room, alice, 'survive the crash');
    await fcm.waitForSends(1);
    await first.kill9();
    const { rows } = await db.query<{ attempts: number; state: string }>('SELECT attempts, state FROM push_outbox WHERE message_id = $1', [message!.id]);
    expect(rows).toEqual([{ attempts: 1, state: 'pending' }]);

    await worker({ PUSH_LEASE_MS: '1500' });
    await fcm.waitUntil(() => fcm.accepted.length === 1);
    await eventually(async () => (await queue.depth()) === 0, 10_000, 'job acknowledged');

    const sends = fcm.sendsTo(bob.tokens[0]!);
    expect(sends.map((s) => s.answeredStatus)).toEqual([undefined, 200]);
    expect(sends[1]!.message.data?.messageId).toBe(message!.id);
    expect(sends[1]!.message.android?.collapse_key).toBe(sends[0]!.message.android?.collapse_key);
    expect(sends[1]!.message.android?.collapse_key).toBe(`room-${room.id}`);
  }, 60_000);

  it('never sends the same notification twice with two workers on one queue', async () => {
    const [a, b] = [fcm.serviceAccount(), fcm.serviceAccount()];
    fcm.script = () => ({ status: 200, delayMs: 15 });
    await Promise.all([worker({ PUSH_BATCH_ROOMS: '2' }, a), worker({ PUSH_BATCH_ROOMS: '2' }, b)]);

    const alice = await world.user('alice');
    const bob = await world.user('bob', ['ios']);
    const rooms = await Promise.all(Array.from({ length: 24 }, () => world.room(alice, [bob])));
    const newest = new Map<string, string>();
    await Promise.all(
      rooms.map(async (room) => {
        const said = await world.say(room, alice, 'one', 'two', 'three');
        newest.set(room.id, said[said.length - 1]!.id);
      }),
    );
    const delivered = () => new Set(fcm.accepted.map((s) => s.message.data?.messageId));
    await fcm.waitUntil(() => [...newest.values()].every((id) => delivered().has(id)), 30_000);
    await eventually(async () => (await queue.depth()) === 0, 10_000, 'queue drained');

    const pairs = fcm.sends.map((s) => `${s.message.token}/${s.message.data?.messageId}`);
    expect(new Set(pairs).size).toBe(pairs.length);
    expect(fcm.sends.length).toBeLessThanOrEqual(rooms.length * 3);
    expect(fcm.sends.every((s) => s.answeredStatus === 200)).toBe(true);
    // Both processes took part.
    expect(new Set(fcm.sends.map((s) => s.clientEmail))).toEqual(new Set([a.client_email, b.client_email]));
    expect(await queue.listDeadLetters({ limit: 10 })).toEqual([]);
  }, 90_000);
});
