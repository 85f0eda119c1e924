import { tmpdir } from 'node:os';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadConnection } from '../src/clients/connection.js';
import { stampedText } from '../src/clients/payload.js';
import { DurableFloorTarget } from '../src/targets/durable-floor.js';
import { expectNoBenchDatabasesLeft } from './bench-databases.js';

const DATABASE_URL = process.env.DATABASE_URL;
const REDIS_URL = process.env.REDIS_URL;

/** Resolves once `count()` reaches `n`; rejects after 10 s with what it got. */
async function reach(count: () => number, n: number, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (count() < n) {
    if (Date.now() > deadline) throw new Error(`${what}: ${count()} of ${n}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe.skipIf(!DATABASE_URL || !REDIS_URL)('durable-floor reference server', () => {
  let target: DurableFloorTarget;
  let rooms: string[];
  const connections: LoadConnection[] = [];

  beforeAll(async () => {
    target = await DurableFloorTarget.start({ databaseUrl: DATABASE_URL, redisUrl: REDIS_URL, replicas: 1, tmpDir: tmpdir() });
    rooms = await target.setupRooms(2);
  });

  afterAll(async () => {
    for (const c of connections) c.close();
    await target?.stop();
    // Its database goes with it.
    await expectNoBenchDatabasesLeft(DATABASE_URL!);
  });

  it('stores each message before delivering it to its room, once, and delivers other replicas’ copies from Redis', async () => {
    const received = [0, 0, 0];
    const open = async (room: string, i: number) => {
      const c = await target.connect({ replica: 0, room, member: i, subscribe: true, onMessage: () => received[i]!++ });
      connections.push(c);
      return c;
    };
    const sender = await open(rooms[0]!, 0);
    await open(rooms[0]!, 1);
    await open(rooms[1]!, 2);

    for (let i = 0; i < 3; i++) sender.publish(stampedText(100));
    await reach(() => received[1]!, 3, 'room member');
    await reach(() => received[0]!, 3, 'sender (its own copy is its acknowledgement)');

    // Stored before delivered: the rows are there once the copies arrived, with gap-free seqs.
    const db = new pg.Client({ connectionString: target.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ seq: string }>('SELECT seq FROM messages WHERE room_id = $1 ORDER BY seq', [rooms[0]]);
      expect(rows.map((r) => Number(r.seq))).toEqual([1, 2, 3]);
      const room = await db.query<{ last_seq: string }>('SELECT last_seq FROM rooms WHERE id = $1', [rooms[0]]);
      expect(Number(room.rows[0]!.last_seq)).toBe(3);
    } finally {
      await db.end();
    }

    // Another replica's message arrives through the room's channel (a different origin prefix).
    const redis = new Redis(REDIS_URL!);
    try {
      await redis.publish(`floor:room:${rooms[0]}`, `other123\n${stampedText(100)}`);
    } finally {
      redis.disconnect();
    }
    await reach(() => received[1]!, 4, 'copy from another replica');
    // A fourth message after it: by the time it arrives, the process's own Redis copies of the first three came back and were dropped.
    sender.publish(stampedText(100));
    await reach(() => received[0]!, 5, 'sender');
    await reach(() => received[1]!, 5, 'room member');
    expect(received).toEqual([5, 5, 0]);
  });
});

