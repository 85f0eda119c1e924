import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Room, User } from '../src/domain/types.js';
import { ChorusError } from '../src/errors.js';
import type { PushClaim } from '../src/push/push-queue.js';
import { SqlPushQueue } from '../src/push/sql-push-queue.js';
import { PUSH_JOB_PROBE_MAX_MEMBERS } from '../src/store/push-job-sql.js';
import { PUSH_UNREAD_CAP, type SqlStore } from '../src/store/sql-store.js';
import { createTestStore, storeBackends, type TestStore } from '../src/testing/index.js';

const tag = () => randomBytes(5).toString('hex');

function expectError(promise: Promise<unknown>, code: string, message?: string) {
  return expect(promise).rejects.toSatisfy((err: unknown) => {
    if (!(err instanceof ChorusError) || err.code !== code) throw err;
    if (message !== undefined && err.message !== message) throw err;
    return true;
  });
}

/** The push half of the Store contract (mutes, recipients, jobs written with messages) and the PushQueue contract. */
describe.each(storeBackends())('push store and queue contract (%s)', (backend) => {
  let t: TestStore;
  let store: SqlStore;
  let queue: SqlPushQueue;

  beforeAll(async () => {
    t = await createTestStore(backend);
    store = t.store;
    queue = new SqlPushQueue(t.db);
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  async function newUser(prefix = 'user'): Promise<User> {
    const name = `${prefix}_${tag()}`;
    return store.createUser({ username: name, email: `${name}@example.test`, passwordHash: 'h' });
  }
  async function newRoom(owner: User, ...members: User[]): Promise<Room> {
    const room = await store.createRoom({ name: `room ${tag()}`, private: false, createdBy: owner.id });
    for (const member of members) await store.addMember(room.id, member.id);
    return room;
  }
  const withDevice = (user: User) => store.upsertDevice(user.id, `tok-${tag()}`, 'android');
  /** A room whose text messages get push jobs: a member who sends nothing holds a device. */
  async function watchedRoom(owner: User, ...members: User[]): Promise<Room> {
    const watcher = await newUser('watcher');
    await withDevice(watcher);
    return newRoom(owner, ...members, watcher);
  }
  const say = (room: Room, sender: User, text: string) => store.appendMessage({ roomId: room.id, senderId: sender.id, type: 'text', text });
  const jobsOf = async (room: Room) =>
    (await t.db.query<{ seq: string | number; state: string }>('SELECT seq, state FROM push_outbox WHERE room_id = $1 ORDER BY seq', [room.id])).rows.map(
      (r) => ({ seq: Number(r.seq), state: r.state }),
    );
  /** Each queue test starts with an empty queue. */
  async function emptyQueue(): Promise<void> {
    await t.db.query('DELETE FROM push_outbox');
  }

  describe('jobs written with messages', () => {
    it('writes one job per stored text message, none for joins, leaves or failed appends', async () => {
      const [a, b] = [await newUser(), await newUser()];
      const room = await watchedRoom(a, b);
      const m1 = await say(room, a, 'one');
      const m2 = await say(room, b, 'two');
      await store.removeMember(room.id, b.id);
      await expectError(store.appendMessage({ roomId: randomUUID(), senderId: a.id, type: 'text', text: 'x' }), 'not_found');
      expect(await jobsOf(room)).toEqual([
        { seq: m1.seq, state: 'pending' },
        { seq: m2.seq, state: 'pending' },
      ]);
    });

    it('writes no job for a message nobody but its sender could be notified of', async () => {
      const [a, b] = [await newUser(), await newUser()];
      const [room, other] = [await newRoom(a, b), await newRoom(a, b)];
      const batch = async () => (await store.appendMemberMessages([
        { roomId: room.id, senderId: a.id, text: 'from a' },
        { roomId: other.id, senderId: b.id, text: 'from b' },
      ])).map((m) => m!.seq);
      await say(room, a, 'nobody has a device');
      await batch();
      expect(await jobsOf(room)).toEqual([]);
      expect(await jobsOf(other)).toEqual([]);

      // Only the sender's own device: still nobody to notify. Anyone else's message notifies a.
      await withDevice(a);
      await say(room, a, 'mine');
      const [, fromB] = await batch();
      expect(await jobsOf(room)).toEqual([]);
      expect(await jobsOf(other)).toEqual([{ seq: fromB, state: 'pending' }]);

      await withDevice(b);
      const m = await say(room, a, 'now b has one too');
      const [fromA] = await batch();
      expect(await jobsOf(room)).toEqual([
        { seq: m.seq, state: 'pending' },
        { seq: fromA, state: 'pending' },
      ]);
    });

    it('decides per message within a batch: several senders in one room, rooms with none, one and two holders', async () => {
      const [a, b, c] = [await newUser(), await newUser(), await newUser()];
      const [none, one, two] = [await newRoom(a, b, c), await newRoom(a, b, c), await newRoom(a, b, c)];
      const d = await newUser();
      await store.addMember(two.id, d.id);
      await withDevice(a);
      await withDevice(d);
      await store.removeMember(none.id, a.id);
      await store.removeMember(one.id, d.id);
      const inputs = [none, one, two].flatMap((room) => [a, b, c, b].map((sender) => ({ roomId: room.id, senderId: sender.id, text: `${sender.username} in ${room.name}` })));
      const stored = await store.appendMemberMessages(inputs);
      const seqOf = (room: Room, sender: User) => stored.filter((m) => m?.roomId === room.id && m.sender.id === sender.id).map((m) => m!.seq);
      // none: a left, so nobody with a device is a member and a's input is refused.
      expect(seqOf(none, a)).toEqual([]);
      expect(await jobsOf(none)).toEqual([]);
      // one: a is the only holder, so every message but a's own notifies.
      expect((await jobsOf(one)).map((j) => j.seq)).toEqual([...seqOf(one, b), ...seqOf(one, c)].sort((x, y) => x - y));
      // two: a and d hold devices, so every message notifies someone.
      expect((await jobsOf(two)).map((j) => j.seq)).toEqual(stored.filter((m) => m?.roomId === two.id).map((m) => m!.seq));
    });

    it(`writes every job in a room of more than ${PUSH_JOB_PROBE_MAX_MEMBERS} members without looking for devices`, async () => {
      const owner = await newUser();
      const room = await newRoom(owner);
      for (let i = 0; i < PUSH_JOB_PROBE_MAX_MEMBERS; i += 1) await store.addMember(room.id, (await newUser('crowd')).id);
      expect((await store.getRoom(room.id))!.memberCount).toBe(PUSH_JOB_PROBE_MAX_MEMBERS + 1);
      const m1 = await say(room, owner, 'nobody has a device, but the room is big');
      const [m2] = await store.appendMemberMessages([{ roomId: room.id, senderId: owner.id, text: 'in a batch' }]);
      expect(await jobsOf(room)).toEqual([
        { seq: m1.seq, state: 'pending' },
        { seq: m2!.seq, state: 'pending' },
      ]);
    });
  });

  describe('mutes and recipients', () => {
    it('lists every unmuted member with a device, with unread count and devices', async () => {
      const [a, b, c, d] = [await newUser(), await newUser(), await newUser(), await newUser()];
      const room = await newRoom(a, b, c, d);
      await withDevice(a);
      await store.upsertDevice(b.id, `tok-b-${tag()}`, 'ios');
      await withDevice(c);
      await say(room, a, 'hi');
      await store.markRead(room.id, a.id, 100);
      const recipients = await store.listPushRecipients(room.id);
      const byId = new Map(recipients.map((r) => [r.userId, r]));
      // d has no device: nobody to notify.
      expect([...byId.keys()].sort()).toEqual([a.id, b.id, c.id].sort());
      expect(byId.get(a.id)).toEqual({ userId: a.id, unread: 0, devices: [{ token: expect.any(String), platform: 'android' }] });
      expect(byId.get(b.id)!.devices).toEqual([{ token: expect.stringMatching(/^tok-b-/), platform: 'ios' }]);
      // Only text messages from others count: not joins, not their own messages.
      expect(byId.get(c.id)!.unread).toBe(1);
      await say(room, c, 'mine');
      await say(room, b, 'theirs');
      const after = new Map((await store.listPushRecipients(room.id)).map((r) => [r.userId, r.unread]));
      expect([after.get(a.id), after.get(b.id), after.get(c.id)]).toEqual([2, 2, 2]);

      await store.upsertDevice(b.id, `tok-b2-${tag()}`, 'web');
      expect((await store.listPushRecipients(room.id)).find((r) => r.userId === b.id)!.devices.map((x) => x.platform)).toEqual(['ios', 'web']);
      await store.muteRoom(room.id, b.id, null);
      expect((await store.listPushRecipients(room.id)).map((r) => r.userId).sort()).toEqual([a.id, c.id].sort());
      expect(await store.listPushRecipients(randomUUID())).toEqual([]);
      expect(await store.listPushRecipients('nope')).toEqual([]);
    });

    it('counts unread among the newest PUSH_UNREAD_CAP messages, so a member whose own messages fill the room costs a bounded scan', async () => {
      const [a, b, c] = [await newUser(), await newUser(), await newUser()];
      const room = await newRoom(a, b, c);
      for (const member of [a, b, c]) await withDevice(member);
      await say(room, a, 'before the flood');
      const flood = Array.from({ length: PUSH_UNREAD_CAP }, (_, i) => ({ roomId: room.id, senderId: c.id, text: `own ${i}` }));
      expect((await store.appendMemberMessages(flood)).every((m) => m !== null)).toBe(true);
      const unread = new Map((await store.listPushRecipients(room.id)).map((r) => [r.userId, r.unread]));
      expect(unread.get(b.id)).toBe(PUSH_UNREAD_CAP);
      expect(unread.get(a.id)).toBe(PUSH_UNREAD_CAP);
      // a's message is older than the newest PUSH_UNREAD_CAP messages, all of them c's own.
      expect(unread.get(c.id)).toBe(0);
    });

    it('lists recipients of several rooms in one call, with every asked room as a key', async () => {
      const [a, b, c] = [await newUser(), await newUser(), await newUser()];
      const [ab, bc] = [await newRoom(a, b), await newRoom(b, c)];
      for (const member of [a, b, c]) await withDevice(member);
      await say(ab, a, 'to b');
      const unknown = randomUUID();
      const byRoom = await store.listPushRecipientsByRoom([ab.id, bc.id, unknown, 'nope']);
      expect([...byRoom.keys()]).toEqual([ab.id, bc.id, unknown, 'nope']);
      const summary = (roomId: string) => byRoom.get(roomId)!.map((r) => [r.userId, r.unread]).sort();
      expect(summary(ab.id)).toEqual([[a.id, 0], [b.id, 1]].sort());
      expect(summary(bc.id)).toEqual([[b.id, 0], [c.id, 0]].sort());
      expect(byRoom.get(unknown)).toEqual([]);
      expect(byRoom.get('nope')).toEqual([]);
      expect(byRoom.get(ab.id)).toEqual(await store.listPushRecipients(ab.id));
    });

    it('mutes members only, until a future time or until unmuted', async () => {
      const [a, outsider] = [await newUser(), await newUser()];
      const room = await newRoom(a);
      await expectError(store.muteRoom(room.id, outsider.id, null), 'not_found', 'not a member of this room');
      await expectError(store.muteRoom(randomUUID(), a.id, null), 'not_found', 'room not found');
      await expectError(store.muteRoom(room.id, a.id, '2000-01-01T00:00:00.000Z'), 'bad_request');
      await expectError(store.muteRoom(room.id, a.id, 'soon'), 'bad_request');

      const until = new Date(Date.now() + 60_000).toISOString();
      expect(await store.muteRoom(room.id, a.id, until)).toEqual({ roomId: room.id, userId: a.id, until });
      expect(await store.getRoomMute(room.id, a.id)).toEqual({ roomId: room.id, userId: a.id, until });
      expect(await store.muteRoom(room.id, a.id, null)).toEqual({ roomId: room.id, userId: a.id, until: null });
      expect(await store.unmuteRoom(room.id, a.id)).toBe(true);
      expect(await store.unmuteRoom(room.id, a.id)).toBe(false);
      expect(await store.getRoomMute(room.id, a.id)).toBeNull();
    });
  });

  describe('PushQueue', () => {
    beforeEach(emptyQueue);

    it('claims due jobs grouped by room with their messages, and ack deletes them', async () => {
      const [a, b] = [await newUser('ann'), await newUser('ben')];
      const [r1, r2] = [await watchedRoom(a, b), await watchedRoom(a, b)];
      const m1 = await say(r1, a, 'first');
      const m2 = await say(r1, b, 'second');
      const m3 = await say(r2, a, 'x'.repeat(1000));
      expect(await queue.depth()).toBe(3);

      const claims = await queue.claim({ maxRooms: 10, leaseMs: 60_000 });
      const byRoom = new Map(claims.map((c) => [c.roomId, c]));
      expect(byRoom.size).toBe(2);
      const c1 = byRoom.get(r1.id)!;
      expect(c1.roomName).toBe(r1.name);
      expect(c1.jobs.map((j) => [j.messageId, j.seq, j.senderId, j.senderUsername, j.text, j.attempts])).toEqual([
        [m1.id, m1.seq, a.id, a.username, 'first', 1],
        [m2.id, m2.seq, b.id, b.username, 'second', 1],
      ]);
      expect(c1.jobs[0]!.storedAt).toBe(m1.createdAt);
      expect(byRoom.get(r2.id)!.jobs[0]!.text).toHaveLength(400);
      expect(byRoom.get(r2.id)!.jobs[0]!.messageId).toBe(m3.id);

      // Leased: nobody else gets them, and the room's new jobs wait for the claim to end.
      await say(r1, a, 'third');
      expect(await queue.claim({ maxRooms: 10, leaseMs: 60_000 })).toEqual([]);
      expect(await queue.ack(c1)).toBe(2);
      expect(await queue.ack(c1)).toBe(0);
      const next = await queue.claim({ maxRooms: 10, leaseMs: 60_000 });
      expect(next.map((c) => [c.roomId, c.jobs.map((j) => j.text)])).toEqual([[r1.id, ['third']]]);
      expect(await queue.depth()).toBe(2);
    });

    it('ackAll acknowledges several claims in one statement and counts per claim, stale ones 0', async () => {
      const a = await newUser();
      const [r1, r2, r3] = [await watchedRoom(a), await watchedRoom(a), await watchedRoom(a)];
      await say(r1, a, 'one');
      await say(r1, a, 'two');
      await say(r2, a, 'three');
      await say(r3, a, 'four');
      const claims = await queue.claim({ maxRooms: 10, leaseMs: 60_000 });
      const byRoom = new Map(claims.map((c) => [c.roomId, c]));
      const [c1, c2, c3] = [byRoom.get(r1.id)!, byRoom.get(r2.id)!, byRoom.get(r3.id)!];
      expect(await queue.ack(c3)).toBe(1);
      expect(await queue.ackAll([c1, c3, c2])).toEqual([2, 0, 1]);
      expect(await queue.ackAll([])).toEqual([]);
      expect(await queue.depth()).toBe(0);
    });

    it('hands out a job again once its lease expired, and ignores the stale claim', async () => {
      const a = await newUser();
      const room = await watchedRoom(a);
      await say(room, a, 'lease');
      const [stale] = await queue.claim({ maxRooms: 10, leaseMs: 60_000 });
      await t.db.query(`UPDATE push_outbox SET next_attempt_at = now() - interval '1 second' WHERE room_id = $1`, [room.id]);
      const [fresh] = await queue.claim({ maxRooms: 10, leaseMs: 60_000 });
      expect(fresh!.jobs.map((j) => j.attempts)).toEqual([2]);
      expect(await queue.ack(stale!)).toBe(0);
      expect(await queue.retry(stale!, { delayMs: 0, maxAttempts: 5, error: 'x', deliveredTokens: [] })).toBe('stale');
      expect(await queue.deadLetter(stale!, { error: 'x', deliveredTokens: [] })).toBe(0);
      expect(await queue.ack(fresh!)).toBe(1);
    });

    it('retries after the delay with the delivered tokens kept, then dead-letters at maxAttempts', async () => {
      const a = await newUser();
      const room = await watchedRoom(a);
      const message = await say(room, a, 'flaky');
      let [claim] = await queue.claim({ maxRooms: 10, leaseMs: 60_000 });
      expect(await queue.retry(claim!, { delayMs: 60_000, maxAttempts: 2, error: 'quota', deliveredTokens: ['t1'] })).toBe('retrying');
      expect(await queue.claim({ maxRooms: 10, leaseMs: 60_000 })).toEqual([]);
      expect(await queue.depth()).toBe(1);

      await t.db.query(`UPDATE push_outbox SET next_attempt_at = now() WHERE room_id = $1`, [room.id]);
      [claim] = await queue.claim({ maxRooms: 10, leaseMs: 60_000 });
      expect(claim!.jobs[0]).toMatchObject({ attempts: 2, deliveredTokens: ['t1'] });
      expect(await queue.retry(claim!, { delayMs: 0, maxAttempts: 2, error: 'still failing', deliveredTokens: ['t2', 't1'] })).toBe('dead');
      expect(await queue.depth()).toBe(0);
      expect(await queue.claim({ maxRooms: 10, leaseMs: 60_000 })).toEqual([]);

      const [dead] = await queue.listDeadLetters({ limit: 10 });
      expect(dead).toEqual({
        id: claim!.jobs[0]!.id,
        roomId: room.id,
        messageId: message.id,
        seq: message.seq,
        attempts: 2,
        lastError: 'still failing',
        storedAt: message.createdAt,
        deadAt: expect.any(String),
      });
      expect(await queue.replay(dead!.id)).toBe(true);
      expect(await queue.replay(dead!.id)).toBe(false);
      expect(await queue.replay('12abc')).toBe(false);
      const [replayed] = await queue.claim({ maxRooms: 10, leaseMs: 60_000 });
      expect(replayed!.jobs[0]).toMatchObject({ id: dead!.id, attempts: 1, deliveredTokens: ['t1', 't2'] });
      expect(await queue.deadLetter(replayed!, { error: 'bad payload', deliveredTokens: [] })).toBe(1);
      expect((await queue.listDeadLetters({ limit: 10 }))[0]).toMatchObject({ id: dead!.id, lastError: 'bad payload' });
    });

    it('pages dead letters newest first', async () => {
      const a = await newUser();
      const room = await watchedRoom(a);
      for (const text of ['d1', 'd2', 'd3']) await say(room, a, text);
      const [claim] = await queue.claim({ maxRooms: 10, leaseMs: 60_000 });
      await queue.deadLetter(claim!, { error: 'e', deliveredTokens: [] });
      const ids = claim!.jobs.map((j) => j.id).reverse();
      const first = await queue.listDeadLetters({ limit: 2 });
      expect(first.slice(0, 2).map((d) => d.id)).toEqual(ids.slice(0, 2));
      const second = await queue.listDeadLetters({ limit: 2, before: first[1]!.id });
      expect(second[0]!.id).toBe(ids[2]);
      expect(await queue.listDeadLetters({ limit: 2, before: 'x' })).toEqual([]);
      await expectError(queue.listDeadLetters({ limit: 0 }), 'bad_request');
    });

    it('purges only dead letters older than the cut-off', async () => {
      const a = await newUser();
      const room = await watchedRoom(a);
      for (const text of ['old', 'recent']) await say(room, a, text);
      const [claim] = await queue.claim({ maxRooms: 10, leaseMs: 60_000 });
      await queue.deadLetter(claim!, { error: 'e', deliveredTokens: [] });
      const [oldJob, recentJob] = claim!.jobs;
      await t.db.query(`UPDATE push_outbox SET dead_at = now() - interval '30 days' WHERE id = $1`, [oldJob!.id]);
      const pending = await say(room, a, 'still pending');
      expect(await queue.purgeDeadLetters(new Date(Date.now() - 14 * 86_400_000))).toBe(1);
      const remaining = (await queue.listDeadLetters({ limit: 100 })).map((d) => d.id);
      expect(remaining).toContain(recentJob!.id);
      expect(remaining).not.toContain(oldJob!.id);
      const [next] = await queue.claim({ maxRooms: 10, leaseMs: 60_000 });
      expect(next!.jobs.map((j) => j.messageId)).toContain(pending.id);
      await queue.ack(next!);
    });

    it('gives every job to exactly one of several concurrent claimers', async () => {
      const a = await newUser();
      const rooms = await Promise.all(Array.from({ length: 12 }, () => watchedRoom(a)));
      for (const room of rooms) for (const text of ['a', 'b', 'c']) await say(room, a, text);
      const queues = Array.from({ length: 4 }, () => new SqlPushQueue(t.db));
      const seen: PushClaim[] = [];
      await Promise.all(
        queues.map(async (q) => {
          for (;;) {
            const claims = await q.claim({ maxRooms: 2, leaseMs: 60_000 });
            if (claims.length === 0 && (await q.depth()) === 0) return;
            seen.push(...claims);
            for (const claim of claims) await q.ack(claim);
          }
        }),
      );
      const jobIds = seen.flatMap((c) => c.jobs.map((j) => j.id));
      expect(jobIds).toHaveLength(36);
      expect(new Set(jobIds).size).toBe(36);
      expect(new Set(seen.map((c) => c.roomId)).size).toBe(12);
    });
  });
});
