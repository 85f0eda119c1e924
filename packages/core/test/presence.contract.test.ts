import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { ChorusError } from '../src/errors.js';
import { MemoryPresence } from '../src/presence/memory-presence.js';
import type { Presence } from '../src/presence/presence.js';
import { RedisPresence, type RedisPresenceOptions } from '../src/presence/redis-presence.js';
import { brokerBackends } from '../src/testing/brokers.js';

const TTL = 30_000;
const logger = pino({ level: 'silent' });

/** A clock the test moves forward instead of sleeping. */
function fakeClock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe.each(brokerBackends())('Presence contract: %s', (kind) => {
  const opened: Presence[] = [];
  const prefix = `chorus:test-presence:${randomUUID()}:`;
  const clock = fakeClock();
  const open = (options: Partial<RedisPresenceOptions> = {}): Presence => {
    const presence =
      kind === 'memory'
        ? new MemoryPresence({ ttlMs: TTL, now: clock.now })
        : new RedisPresence({ url: process.env.REDIS_URL!, logger, ttlMs: TTL, now: clock.now, keyPrefix: prefix, ...options });
    opened.push(presence);
    return presence;
  };
  const alice = { id: randomUUID(), username: 'alice' };
  const bob = { id: randomUUID(), username: 'bob' };

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((p) => p.close()));
  });

  // Entries of the instances a test let "crash" stay behind under this run's prefix: remove them,
  // so that test runs do not accumulate keys in a shared Redis.
  afterAll(async () => {
    if (kind === 'memory') return;
    const redis = new Redis(process.env.REDIS_URL!);
    try {
      for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<string[]>) {
        if (keys.length > 0) await redis.del(...keys);
      }
    } finally {
      redis.disconnect();
    }
  });

  it('reports a user online on their first connection and offline when the last one leaves', async () => {
    const presence = open();
    const room = randomUUID();
    expect(await presence.join(room, 'c1', alice)).toBe(true);
    expect(await presence.join(room, 'c2', alice)).toBe(false);
    expect(await presence.join(room, 'c3', bob)).toBe(true);
    expect(sortById(await presence.online(room))).toEqual(sortById([alice, bob]));
    expect(await presence.leave(room, 'c1')).toBe(false);
    expect(await presence.leave(room, 'c2')).toBe(true);
    expect(await presence.online(room)).toEqual([bob]);
    expect(await presence.leave(room, 'c2')).toBe(false); // unknown connection: nothing changes
    expect(await presence.online(randomUUID())).toEqual([]);
  });

  it('keeps entries alive while they are refreshed and sweeps them once after the TTL', async () => {
    const presence = open();
    const room = randomUUID();
    await presence.join(room, 'c1', alice);
    clock.advance(TTL - 1);
    expect(await presence.refresh()).toEqual([]);
    clock.advance(TTL - 1);
    expect((await presence.sweep()).filter((c) => c.roomId === room)).toEqual([]);
    expect(await presence.online(room)).toEqual([alice]);

    clock.advance(TTL); // no refresh: the entry expires
    expect(await presence.online(room)).toEqual([]);
    const swept = (await presence.sweep()).filter((c) => c.roomId === room);
    expect(swept).toEqual([{ roomId: room, user: alice, online: false }]);
    expect((await presence.sweep()).filter((c) => c.roomId === room)).toEqual([]);

    // The connection is still held: the next refresh brings the user back.
    expect(await presence.refresh()).toEqual([{ roomId: room, user: alice, online: true }]);
    expect(await presence.online(room)).toEqual([alice]);
    expect(await presence.leave(room, 'c1')).toBe(true);
  });

  it('sweeps and refreshes more rooms and entries than one pipeline holds', async () => {
    const presence = open();
    const entries = Array.from({ length: 1201 }, (_, i) => ({ room: randomUUID(), user: { id: randomUUID(), username: `u${i}` } }));
    const ours = new Set<string>(entries.map((e) => e.room));
    expect(await Promise.all(entries.map((e, i) => presence.join(e.room, `c${i}`, e.user)))).toEqual(entries.map(() => true));
    clock.advance(TTL * 2);
    const swept = (await presence.sweep()).filter((c) => ours.has(c.roomId));
    expect(swept).toHaveLength(entries.length);
    expect(swept.every((c) => !c.online)).toBe(true);
    const back = await presence.refresh();
    expect(new Set(back.filter((c) => c.online).map((c) => c.roomId))).toEqual(ours);
    expect(await presence.online(entries[1200]!.room)).toEqual([entries[1200]!.user]);
  });

  it('counts each user once in a room with more entries than one refresh call carries', async () => {
    const presence = open();
    const room = randomUUID();
    const users = Array.from({ length: 600 }, (_, i) => ({ id: randomUUID(), username: `u${i}` }));
    // Two connections per user: 1,200 entries in one room.
    const joins = await Promise.all([...users, ...users].map((user, i) => presence.join(room, `c${i}`, user)));
    expect(joins.filter(Boolean)).toHaveLength(users.length);
    expect(joins.slice(0, users.length).every(Boolean)).toBe(true);
    expect(await presence.online(room)).toHaveLength(users.length);
    expect(await presence.refresh()).toEqual([]);
    clock.advance(TTL * 2);
    const offline = (await presence.sweep()).filter((c) => c.roomId === room);
    expect(sortById(offline.map((c) => c.user))).toEqual(sortById(users));
    const back = (await presence.refresh()).filter((c) => c.roomId === room);
    expect(sortById(back.map((c) => c.user))).toEqual(sortById(users));
    expect(back.every((c) => c.online)).toBe(true);
    // Leaving one of two connections keeps the user online; the second takes them offline.
    expect(await presence.leave(room, 'c0')).toBe(false);
    expect(await presence.leave(room, `c${users.length}`)).toBe(true);
    expect(await presence.online(room)).toHaveLength(users.length - 1);
  });

  it('does not report offline while another connection of the user is alive', async () => {
    const presence = open();
    const room = randomUUID();
    await presence.join(room, 'c1', alice);
    clock.advance(TTL / 2);
    await presence.join(room, 'c2', alice);
    await presence.leave(room, 'c2'); // c2 leaves; c1 is alive
    clock.advance(TTL / 2 - 1);
    expect(await presence.online(room)).toEqual([alice]);
    await presence.leave(room, 'c1');
  });

  it('keeps the entries of a lapsed lease that is renewed before any sweep, reporting nothing', async () => {
    const presence = open();
    const room = randomUUID();
    expect(await presence.join(room, 'c1', alice)).toBe(true);
    clock.advance(TTL * 2); // refreshes stopped (a long Redis outage): alice no longer counts as online
    expect(await presence.online(room)).toEqual([]);
    expect(await presence.refresh()).toEqual([]); // never reported offline, so not reported online either
    expect(await presence.online(room)).toEqual([alice]);
    expect(await presence.leave(room, 'c1')).toBe(true);
  });

  it('reports a join refused while the lease had lapsed at the next refresh', async () => {
    const presence = open();
    const room = randomUUID();
    await presence.online(room); // connected, lease written
    clock.advance(TTL * 2);
    expect(await presence.join(room, 'c1', alice)).toBe(false);
    expect(await presence.online(room)).toEqual([]);
    expect(await presence.refresh()).toEqual([{ roomId: room, user: alice, online: true }]);
    expect(await presence.online(room)).toEqual([alice]);
    expect(await presence.leave(room, 'c1')).toBe(true);
  });

  // Several instances share state only through Redis; the memory backend is one process by definition.
  if (kind !== 'redis') return;

  const redisClient = () => new Redis(process.env.REDIS_URL!);

  it('renews its lease with a constant number of commands, however many entries it holds', async () => {
    const presence = open();
    const rooms = [randomUUID(), randomUUID(), randomUUID()];
    await Promise.all(Array.from({ length: 900 }, (_, i) => presence.join(rooms[i % 3]!, `c${i}`, { id: randomUUID(), username: `u${i}` })));
    const observer = redisClient();
    const monitor = await redisClient().monitor();
    try {
      const seen: string[][] = [];
      monitor.on('monitor', (_time: string, args: string[]) => seen.push(args));
      expect(await presence.refresh()).toEqual([]);
      const marker = `presence-marker-${randomUUID()}`;
      await observer.echo(marker);
      await vi.waitFor(() => expect(seen.some((args) => args.includes(marker))).toBe(true));
      const ours = seen.filter((args) => args.some((arg) => arg.startsWith(prefix)));
      expect(ours.length).toBeGreaterThan(0);
      expect(ours.length).toBeLessThanOrEqual(3); // the script call, and its ZSCORE and ZADD of the lease
      expect(ours.filter((args) => args.some((arg) => arg.startsWith(`${prefix}room:`)))).toEqual([]);
    } finally {
      monitor.disconnect();
      observer.disconnect();
    }
  });

  it('after a failed leave, moves to a new id and lets the old one lapse with the entry it could not remove', async () => {
    const presence = open({ commandTimeoutMs: 300 }) as RedisPresence;
    const other = open();
    const [room, quiet] = [randomUUID(), randomUUID()];
    expect(await presence.join(room, 'c1', alice)).toBe(true);
    expect(await presence.join(quiet, 'c2', bob)).toBe(true);
    const firstId = presence.instanceId;
    const admin = redisClient();
    try {
      const line = ((await admin.client('LIST')) as string).split('\n').find((l: string) => l.includes(`name=chorus:presence:${firstId}`));
      await admin.client('KILL', 'ID', /\bid=(\d+)/.exec(line!)![1]!);
      const error = await presence.leave(room, 'c1').catch((err: unknown) => err);
      expect((error as ChorusError).code).toBe('unavailable');
    } finally {
      admin.disconnect();
    }
    // Once reconnected, a refresh writes bob's entry under a new id; alice's stays under the old one.
    await vi.waitFor(async () => expect(await presence.refresh()).toEqual([]), { timeout: 5000, interval: 50 });
    expect(presence.instanceId).not.toBe(firstId);
    expect(await other.online(room)).toEqual([alice]);
    clock.advance(TTL / 2);
    await presence.refresh();
    clock.advance(TTL / 2 + 1); // the old id has lapsed, the new one not
    const reports = [...(await other.sweep()), ...(await presence.sweep())].filter((c) => c.roomId === room || c.roomId === quiet);
    expect(reports).toEqual([{ roomId: room, user: alice, online: false }]);
    expect(await other.online(room)).toEqual([]);
    expect(await other.online(quiet)).toEqual([bob]);
  });

  it('writes every entry again every fullRefreshEvery refreshes, healing what Redis lost', async () => {
    const presence = open({ fullRefreshEvery: 2 });
    const room = randomUUID();
    await presence.join(room, 'c1', alice);
    const admin = redisClient();
    try {
      expect(await admin.del(`${prefix}room:${room}`, `${prefix}room:${room}:u:${alice.id}`)).toBe(2);
    } finally {
      admin.disconnect();
    }
    expect(await presence.online(room)).toEqual([]);
    expect(await presence.refresh()).toEqual([]);
    expect(await presence.refresh()).toEqual([{ roomId: room, user: alice, online: true }]);
    expect(await presence.online(room)).toEqual([alice]);
  });

  it('reads and sweeps the entries of a Chorus from before leases (rolling upgrade)', async () => {
    const presence = open();
    const room = randomUUID();
    const carol = { id: randomUUID(), username: 'carol' };
    const old = JSON.stringify([carol.id, 'old-1', carol.username]);
    const admin = redisClient();
    try {
      await admin.zadd(`${prefix}room:${room}`, clock.now() + TTL, old);
      await admin.zadd(`${prefix}room:${room}:u:${carol.id}`, clock.now() + TTL, old);
      await admin.sadd(`${prefix}rooms`, room);
    } finally {
      admin.disconnect();
    }
    expect(await presence.online(room)).toEqual([carol]);
    expect(await presence.join(room, 'c1', carol)).toBe(false); // online through the old entry
    expect(await presence.leave(room, 'c1')).toBe(false);
    clock.advance(TTL);
    expect(await presence.online(room)).toEqual([]);
    // A fresh instance walks every room for expired entries on its first sweep.
    expect((await open().sweep()).filter((c) => c.roomId === room)).toEqual([{ roomId: room, user: carol, online: false }]);
  });

  it('walks the rooms for entries of a Chorus from before leases one page per sweep, reporting each once', async () => {
    if (kind !== 'redis') return;
    const rooms = Array.from({ length: 1_200 }, () => randomUUID());
    const admin = redisClient();
    try {
      const pipeline = admin.pipeline();
      rooms.forEach((room, i) => {
        const userId = randomUUID();
        const old = JSON.stringify([userId, `old-${i}`, `old${i}`]);
        pipeline.zadd(`${prefix}room:${room}`, clock.now() + TTL, old);
        pipeline.zadd(`${prefix}room:${room}:u:${userId}`, clock.now() + TTL, old);
        pipeline.sadd(`${prefix}rooms`, room);
      });
      await pipeline.exec();
    } finally {
      admin.disconnect();
    }
    clock.advance(TTL);
    const presence = open();
    const ours = new Set<string>(rooms);
    const reported: string[] = [];
    const perSweep: number[] = [];
    for (let i = 0; i < 20 && reported.length < rooms.length; i++) {
      const changes = (await presence.sweep()).filter((change) => ours.has(change.roomId));
      expect(changes.every((change) => !change.online)).toBe(true);
      perSweep.push(changes.length);
      reported.push(...changes.map((change) => change.roomId));
    }
    expect(new Set(reported).size).toBe(rooms.length); // every old entry's user went offline,
    expect(reported).toHaveLength(rooms.length); // once,
    expect(Math.max(...perSweep)).toBeLessThan(rooms.length); // a page at a time, not all in one sweep
  });

  it('expires the entries of a replica that stops refreshing, reported by one survivor only', async () => {
    const dead = open();
    const survivors = [open(), open()];
    const room = randomUUID();
    await dead.join(room, 'dead-1', alice);
    expect(await survivors[0]!.join(room, 'alive-1', bob)).toBe(true);
    expect(sortById(await survivors[1]!.online(room))).toEqual(sortById([alice, bob]));
    clock.advance(TTL / 2);
    await Promise.all(survivors.map((s) => s.refresh()));
    clock.advance(TTL / 2 + 1);
    const reports = (await Promise.all(survivors.map((s) => s.sweep()))).flat().filter((c) => c.roomId === room);
    expect(reports).toEqual([{ roomId: room, user: alice, online: false }]);
    expect(await survivors[1]!.online(room)).toEqual([bob]);
  });

  it('sees a user online through another replica: no second online, no early offline', async () => {
    const [a, b] = [open(), open()];
    const room = randomUUID();
    expect(await a.join(room, 'a-1', alice)).toBe(true);
    expect(await b.join(room, 'b-1', alice)).toBe(false);
    expect(await a.leave(room, 'a-1')).toBe(false);
    expect(await b.online(room)).toEqual([alice]);
    expect(await b.leave(room, 'b-1')).toBe(true);
  });

  it("looks past a user's lapsed entries, a few at a time, to a live one", async () => {
    // Entries sort by their JSON, so after the same user id by connection id: a00…a19 before b0.
    const [lapsed, alive] = [open(), open()];
    const room = randomUUID();
    for (let i = 0; i < 20; i += 1) await lapsed.join(room, `a${String(i).padStart(2, '0')}`, alice);
    clock.advance(TTL / 2);
    await alive.refresh();
    clock.advance(TTL / 2 + 1); // the first replica's lease has lapsed; nothing was swept yet
    expect(await alive.join(room, 'b0', alice)).toBe(true); // none of the 20 is live
    expect(await alive.join(room, 'b1', alice)).toBe(false); // b0 is, behind the 20 lapsed ones
    expect(await alive.leave(room, 'b0')).toBe(false);
    expect(await alive.leave(room, 'b1')).toBe(true);
  });

  it('fails with unavailable when Redis cannot be reached, keeping the entry for the next refresh', async () => {
    const presence = new RedisPresence({ url: 'redis://127.0.0.1:1', logger, ttlMs: TTL, keyPrefix: prefix, commandTimeoutMs: 300 });
    opened.push(presence);
    const error = await presence.join(randomUUID(), 'c1', alice).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ChorusError);
    expect((error as ChorusError).code).toBe('unavailable');
  });
});

function sortById<T extends { id: string }>(users: T[]): T[] {
  return [...users].sort((a, b) => a.id.localeCompare(b.id));
}
