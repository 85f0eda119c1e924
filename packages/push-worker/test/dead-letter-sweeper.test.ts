import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { SqlPushQueue } from '@chorus/core';
import { createTestStore, type TestStore } from '@chorus/core/testing';
import { sweepDeadLetters } from '../src/dead-letter-sweeper.js';

describe('dead-letter sweeper (singleton duty)', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore('pglite');
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('purges dead letters past retention each round and stops when leadership ends', async () => {
    const user = await t.store.createUser({ username: 'sweeper', email: 'sweeper@example.test', passwordHash: 'h' });
    const room = await t.store.createRoom({ name: 'r', private: false, createdBy: user.id });
    // A member with a device, so the message gets a push job.
    const watcher = await t.store.createUser({ username: 'watcher', email: 'watcher@example.test', passwordHash: 'h' });
    await t.store.addMember(room.id, watcher.id);
    await t.store.upsertDevice(watcher.id, 'tok-watcher', 'android');
    await t.store.appendMessage({ roomId: room.id, senderId: user.id, type: 'text', text: 'old' });
    const queue = new SqlPushQueue(t.db);
    const [claim] = await queue.claim({ maxRooms: 1, leaseMs: 60_000 });
    await queue.deadLetter(claim!, { error: 'gone', deliveredTokens: [] });
    await t.db.query(`UPDATE push_outbox SET dead_at = now() - interval '20 days'`);

    const leadership = new AbortController();
    let rounds = 0;
    let secondRound!: () => void;
    const twoRounds = new Promise<void>((resolve) => (secondRound = resolve));
    const counting = Object.assign(Object.create(queue) as SqlPushQueue, {
      purgeDeadLetters: async (before: Date) => {
        const purged = await queue.purgeDeadLetters(before);
        if (++rounds === 2) secondRound();
        return purged;
      },
    });
    const sweeping = sweepDeadLetters(counting, { retentionDays: 14, logger: pino({ level: 'silent' }), signal: leadership.signal, everyMs: 10 });
    await twoRounds;
    expect(await queue.listDeadLetters({ limit: 10 })).toEqual([]);
    leadership.abort();
    await sweeping; // resolves once leadership is lost
    expect(rounds).toBeGreaterThanOrEqual(2);
  });

  it('keeps dead letters forever when retention is 0', async () => {
    let called = false;
    const queue = { purgeDeadLetters: async () => ((called = true), 0) } as unknown as SqlPushQueue;
    await sweepDeadLetters(queue, { retentionDays: 0, logger: pino({ level: 'silent' }), signal: new AbortController().signal });
    expect(called).toBe(false);
  });
});
