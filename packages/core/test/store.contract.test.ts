import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message, Room, User } from '../src/domain/types.js';
import { ChorusError } from '../src/errors.js';
import type { SqlStore } from '../src/store/sql-store.js';
import { createTestStore, storeBackends, type TestStore } from '../src/testing/index.js';

const tag = () => randomBytes(5).toString('hex');

function expectError(promise: Promise<unknown>, code: string, message?: string | RegExp) {
  return expect(promise).rejects.toSatisfy((err: unknown) => {
    if (!(err instanceof ChorusError) || err.code !== code) throw err;
    if (message !== undefined && !(typeof message === 'string' ? err.message === message : message.test(err.message))) throw err;
    return true;
  });
}

describe.each(storeBackends())('Store contract (%s)', (backend) => {
  let t: TestStore;
  let store: SqlStore;

  beforeAll(async () => {
    t = await createTestStore(backend);
    store = t.store;
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  async function newUser(prefix = 'user'): Promise<User> {
    const name = `${prefix}_${tag()}`;
    return store.createUser({ username: name, email: `${name}@example.test`, passwordHash: `hash-${name}` });
  }

  async function newRoom(owner: User, isPrivate = false): Promise<Room> {
    return store.createRoom({ name: `room ${tag()}`, private: isPrivate, createdBy: owner.id });
  }

  async function say(room: Room, sender: User, text: string) {
    return store.appendMessage({ roomId: room.id, senderId: sender.id, type: 'text', text });
  }

  /** Sets a message's creation time to `secondsAgo` in the past: time order then does not depend on the clock's resolution. */
  async function backdate(message: Message, secondsAgo: number): Promise<Message> {
    const { rows } = await t.db.query<{ created_at: Date | string }>(
      'UPDATE messages SET created_at = now() - make_interval(secs => $2) WHERE id = $1 RETURNING created_at',
      [message.id, secondsAgo],
    );
    return { ...message, createdAt: new Date(rows[0]!.created_at).toISOString() };
  }

  it('answers ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });

  describe('users', () => {
    it('creates a user and reads it back', async () => {
      const username = `Alice_${tag()}`;
      const user = await store.createUser({ username, email: `${username}@Example.test`, passwordHash: 'scrypt$x' });
      expect(user).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        username,
        email: `${username}@Example.test`,
        isAdmin: false,
        createdAt: expect.any(String),
      });
      expect(new Date(user.createdAt).toISOString()).toBe(user.createdAt);
      expect(await store.getUser(user.id)).toEqual(user);
      expect(await store.getUser(randomUUID())).toBeNull();
    });

    it('rejects a username or email taken in any letter case', async () => {
      const user = await newUser('Dup');
      await expectError(
        store.createUser({ username: user.username.toUpperCase(), email: `other_${tag()}@example.test`, passwordHash: 'h' }),
        'conflict',
        'username already taken',
      );
      await expectError(
        store.createUser({ username: `other_${tag()}`, email: user.email.toUpperCase(), passwordHash: 'h' }),
        'conflict',
        'email already registered',
      );
    });

    it('finds credentials by username or email, case-insensitively', async () => {
      const user = await newUser('Cred');
      const expected = { ...user, passwordHash: `hash-${user.username}` };
      expect(await store.findCredentials(user.username.toLowerCase())).toEqual(expected);
      expect(await store.findCredentials(user.email.toUpperCase())).toEqual(expected);
      expect(await store.findCredentials(`nobody_${tag()}`)).toBeNull();
      expect(await store.findCredentials('')).toBeNull();
    });
  });

  describe('rooms', () => {
    it('creates a room with its creator as the only member', async () => {
      const owner = await newUser();
      const room = await newRoom(owner);
      expect(room).toMatchObject({ private: false, createdBy: owner.id, memberCount: 1 });
      expect(await store.getRoom(room.id)).toEqual(room);
      expect(await store.isMember(room.id, owner.id)).toBe(true);
      expect(await store.listMemberIds(room.id)).toEqual([owner.id]);
      expect(await store.lastSeq(room.id)).toBe(0);
      expect(await store.listMemberRooms(owner.id)).toEqual([{ ...room, lastSeq: 0, lastReadSeq: 0, unread: 0, mentions: 0 }]);
    });

    it('rejects a room created by an unknown user', async () => {
      await expectError(store.createRoom({ name: 'x', private: false, createdBy: randomUUID() }), 'not_found', 'user not found');
    });

    it('pages through public rooms newest first and never lists private rooms', async () => {
      const owner = await newUser();
      const mine: Room[] = [];
      for (let i = 0; i < 5; i++) mine.push(await newRoom(owner));
      const hidden = await newRoom(owner, true);

      const seen: Room[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 1000; pages++) {
        const page = await store.listPublicRooms({ limit: 2, cursor });
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items);
        if (page.nextCursor === null) break;
        expect(page.items).toHaveLength(2);
        cursor = page.nextCursor;
      }
      const ids = seen.map((r) => r.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(seen.every((r) => !r.private)).toBe(true);
      expect(ids).not.toContain(hidden.id);
      const positions = mine.map((r) => ids.indexOf(r.id));
      expect(positions.every((p) => p >= 0)).toBe(true);
      // Newest first: a room created later (by its visible timestamp) comes earlier.
      // Rooms created within one clock tick tie and are ordered by id instead.
      for (let i = 0; i < mine.length; i++) {
        for (let j = i + 1; j < mine.length; j++) {
          if (mine[i]!.createdAt < mine[j]!.createdAt) expect(positions[j]!).toBeLessThan(positions[i]!);
        }
      }
      const times = seen.map((r) => r.createdAt);
      expect([...times].sort().reverse()).toEqual(times);
    });

    it('pages exactly across rooms created in the same millisecond', async () => {
      const owner = await newUser();
      // Same millisecond, different microseconds, plus an exact tie broken by id.
      const stamps = ['1999-01-01 00:00:00.123456+00', '1999-01-01 00:00:00.123457+00', '1999-01-01 00:00:00.123457+00'];
      const ids: string[] = stamps.map(() => randomUUID());
      for (const [i, stamp] of stamps.entries()) {
        await t.db.query('INSERT INTO rooms (id, name, private, created_by, created_at) VALUES ($1, $2, false, $3, $4)', [
          ids[i],
          `old ${i}`,
          owner.id,
          stamp,
        ]);
      }
      const collected: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listPublicRooms({ limit: 1, cursor });
        collected.push(...page.items.map((r) => r.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      const old = collected.filter((id) => ids.includes(id));
      const tied = [ids[1]!, ids[2]!].sort().reverse();
      expect(old).toEqual([...tied, ids[0]]);
    });

    it('rejects a malformed cursor', async () => {
      const bad = [
        'not a cursor!',
        '',
        Buffer.from('{"a":1}').toString('base64url'),
        Buffer.from(JSON.stringify(['2024-01-01T00:00:00.000000Z', 'not-a-uuid'])).toString('base64url'),
        Buffer.from(JSON.stringify(['2024-02-30T00:00:00.000000Z', randomUUID()])).toString('base64url'),
      ];
      for (const cursor of bad) await expectError(store.listPublicRooms({ limit: 10, cursor }), 'bad_request', 'invalid cursor');
      await expectError(store.listPublicRooms({ limit: 0 }), 'bad_request');
    });
  });

  describe('membership', () => {
    it('stores join and leave messages with the membership change, idempotently', async () => {
      const owner = await newUser();
      const bob = await newUser('bob');
      const room = await newRoom(owner);

      const joined = await store.addMember(room.id, bob.id);
      expect(joined.changed).toBe(true);
      expect(joined.message).toMatchObject({
        roomId: room.id,
        seq: 1,
        type: 'join',
        sender: { id: bob.id, username: bob.username },
        text: `${bob.username} joined`,
      });
      expect(await store.addMember(room.id, bob.id)).toEqual({ changed: false, message: null });
      expect((await store.getRoom(room.id))?.memberCount).toBe(2);
      expect(await store.isMember(room.id, bob.id)).toBe(true);
      expect(await store.getRoomForUser(room.id, bob.id)).toEqual({ room: await store.getRoom(room.id), member: true });
      expect((await store.listMemberIds(room.id)).sort()).toEqual([owner.id, bob.id].sort());

      const left = await store.removeMember(room.id, bob.id);
      expect(left.message).toMatchObject({ seq: 2, type: 'leave', sender: { id: bob.id }, text: `${bob.username} left` });
      expect(await store.removeMember(room.id, bob.id)).toEqual({ changed: false, message: null });
      expect((await store.getRoom(room.id))?.memberCount).toBe(1);
      expect(await store.isMember(room.id, bob.id)).toBe(false);
      expect(await store.getRoomForUser(room.id, bob.id)).toEqual({ room: await store.getRoom(room.id), member: false });
      expect(await store.getRoomForUser(randomUUID(), bob.id)).toBeNull();

      const history = await store.listMessages(room.id, { limit: 10 });
      expect(history).toEqual([joined.message, left.message]);
    });

    it('reads many (room, user) pairs in one call, answering each pair in order', async () => {
      const owner = await newUser();
      const bob = await newUser('bob');
      const open = await newRoom(owner);
      const secret = await newRoom(owner, true);
      await store.addMember(open.id, bob.id);
      const pairs = [
        { roomId: open.id, userId: bob.id },
        { roomId: secret.id, userId: bob.id },
        { roomId: randomUUID(), userId: bob.id },
        { roomId: secret.id, userId: owner.id },
        { roomId: 'not-a-uuid', userId: bob.id },
        { roomId: open.id, userId: 'not-a-uuid' },
        { roomId: open.id, userId: bob.id },
      ];
      const expected = await Promise.all(pairs.map((p) => store.getRoomForUser(p.roomId, p.userId)));
      expect(expected.map((e) => e?.member ?? null)).toEqual([true, false, null, true, null, false, true]);
      expect(await store.getRoomsForUsers(pairs)).toEqual(expected);
      expect(await store.getRoomsForUsers([])).toEqual([]);
      expect(await store.getRoomsForUsers([{ roomId: 'x', userId: 'y' }])).toEqual([null]);
    });

    it('counts one join when the same user joins concurrently', async () => {
      const owner = await newUser();
      const bob = await newUser('bob');
      const room = await newRoom(owner);
      const results = await Promise.all(Array.from({ length: 8 }, () => store.addMember(room.id, bob.id)));
      expect(results.filter((r) => r.changed)).toHaveLength(1);
      expect((await store.getRoom(room.id))?.memberCount).toBe(2);
      expect(await store.lastSeq(room.id)).toBe(1);
    });

    it('reports unknown rooms and users as not_found', async () => {
      const user = await newUser();
      const room = await newRoom(user);
      await expectError(store.addMember(randomUUID(), user.id), 'not_found', 'room not found');
      await expectError(store.addMember(room.id, randomUUID()), 'not_found', 'user not found');
      await expectError(store.removeMember(randomUUID(), user.id), 'not_found', 'room not found');
      expect(await store.lastSeq(room.id)).toBe(0);
      expect((await store.getRoom(room.id))?.memberCount).toBe(1);
    });
  });

  describe('messages', () => {
    it('stores a message with the next seq and the sender', async () => {
      const user = await newUser();
      const room = await newRoom(user);
      const message = await say(room, user, 'hello 👋');
      expect(message).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        roomId: room.id,
        seq: 1,
        type: 'text',
        sender: { id: user.id, username: user.username },
        text: 'hello 👋',
        createdAt: expect.any(String),
      });
      expect((await say(room, user, 'again')).seq).toBe(2);
      expect(await store.lastSeq(room.id)).toBe(2);
      expect(await store.lastSeq(randomUUID())).toBeNull();
    });

    it('assigns gap-free seqs to 200 concurrent writers (with joins interleaved)', async () => {
      const owner = await newUser();
      const room = await newRoom(owner);
      const joiners = await Promise.all(Array.from({ length: 5 }, () => newUser('joiner')));
      const results = await Promise.all([
        ...Array.from({ length: 200 }, (_, i) => say(room, owner, `message ${i}`)),
        ...joiners.map(async (u) => (await store.addMember(room.id, u.id)).message!),
      ]);
      expect(results.map((m) => m.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 205 }, (_, i) => i + 1));
      expect(await store.lastSeq(room.id)).toBe(205);
      const stored = await store.listMessages(room.id, { after: 0, limit: 500 });
      expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: 205 }, (_, i) => i + 1));
      expect((await store.getRoom(room.id))?.memberCount).toBe(6);
    });

    it('writes nothing when the room or sender is unknown or the text is invalid', async () => {
      const user = await newUser();
      const room = await newRoom(user);
      await say(room, user, 'one');
      await expectError(say({ ...room, id: randomUUID() }, user, 'x'), 'not_found', 'room not found');
      await expectError(store.appendMessage({ roomId: room.id, senderId: randomUUID(), type: 'text', text: 'x' }), 'not_found', 'user not found');
      await expectError(say(room, user, 'nul \u0000 byte'), 'bad_request');
      await expectError(store.appendMessage({ roomId: room.id, senderId: user.id, type: 'shout' as 'text', text: 'x' }), 'bad_request');
      expect(await store.lastSeq(room.id)).toBe(1);
      expect((await say(room, user, 'two')).seq).toBe(2);
    });

    it('returns history windows ascending by seq', async () => {
      const user = await newUser();
      const room = await newRoom(user);
      for (let i = 1; i <= 10; i++) await say(room, user, `m${i}`);
      const seqs = async (q: { before?: number; after?: number; limit: number }) =>
        (await store.listMessages(room.id, q)).map((m) => m.seq);

      expect(await seqs({ limit: 3 })).toEqual([8, 9, 10]);
      expect(await seqs({ before: 5, limit: 3 })).toEqual([2, 3, 4]);
      expect(await seqs({ before: 3, limit: 10 })).toEqual([1, 2]);
      expect(await seqs({ before: 1, limit: 10 })).toEqual([]);
      expect(await seqs({ after: 7, limit: 10 })).toEqual([8, 9, 10]);
      expect(await seqs({ after: 2, limit: 3 })).toEqual([3, 4, 5]);
      expect(await seqs({ after: 10, limit: 3 })).toEqual([]);
      expect(await seqs({ after: 2, before: 6, limit: 10 })).toEqual([3, 4, 5]);
      expect(await seqs({ after: 2, before: 9, limit: 2 })).toEqual([3, 4]);
      expect((await store.listMessages(room.id, { after: 0, limit: 1 }))[0]?.text).toBe('m1');
      expect(await store.listMessages(randomUUID(), { limit: 10 })).toEqual([]);

      await expectError(store.listMessages(room.id, { limit: 0 }), 'bad_request');
      await expectError(store.listMessages(room.id, { limit: 501 }), 'bad_request');
      await expectError(store.listMessages(room.id, { limit: 1.5 }), 'bad_request');
      await expectError(store.listMessages(room.id, { before: -1, limit: 5 }), 'bad_request');
    });
  });

  describe('message lifecycle', () => {
    it('stores an edit as the next seq and shows the message edited in history', async () => {
      const user = await newUser();
      const room = await newRoom(user);
      // A member with a device, so the text message gets a push job.
      const watcher = await newUser();
      await store.addMember(room.id, watcher.id);
      await store.upsertDevice(watcher.id, `tok-${watcher.id}`, 'ios');
      const original = await say(room, user, 'helo wrld');
      const edit = await store.appendLifecycleEvent({ type: 'edit', roomId: room.id, actorId: user.id, targetId: original.id, text: 'hello world' });
      expect(edit).toMatchObject({ type: 'edit', seq: 3, targetId: original.id, text: 'hello world', sender: { id: user.id } });
      const history = await store.listMessages(room.id, { after: 0, limit: 10 });
      expect(history.map((m) => [m.seq, m.type])).toEqual([[1, 'join'], [2, 'text'], [3, 'edit']]);
      expect(history[1]).toMatchObject({ id: original.id, text: 'hello world', editedAt: expect.any(String) });
      expect(history[1]!.deleted).toBeUndefined();
      expect(await store.getMessage(room.id, original.id)).toEqual(history[1]);
      expect(await store.lastSeq(room.id)).toBe(3);
      // Only the edited text is searchable.
      expect((await store.searchMessages({ userId: user.id, text: 'hello', roomId: room.id, limit: 10 })).map((m) => m.id)).toEqual([original.id]);
      expect(await store.searchMessages({ userId: user.id, text: 'wrld', roomId: room.id, limit: 10 })).toEqual([]);
      // Push ignores the edit: the room's only push job is the original message's.
      const { rows } = await t.db.query<{ message_id: string }>('SELECT message_id FROM push_outbox WHERE room_id = $1', [room.id]);
      expect(rows.map((r) => r.message_id)).toEqual([original.id]);
    });

    it('deletes a message to a tombstone without text, files or search hits, once', async () => {
      const user = await newUser();
      const room = await newRoom(user);
      const attachmentId = randomUUID();
      await store.createAttachment({ id: attachmentId, roomId: room.id, uploaderId: user.id, name: 'secret-plan.pdf', contentType: 'application/pdf', size: 3, objectKey: `k/${attachmentId}` });
      const [original] = await store.appendMemberMessages([{ roomId: room.id, senderId: user.id, text: 'secret words', attachments: [attachmentId] }]);
      const deletion = await store.appendLifecycleEvent({ type: 'delete', roomId: room.id, actorId: user.id, targetId: original!.id });
      expect(deletion).toMatchObject({ type: 'delete', seq: 2, targetId: original!.id, text: '' });
      const tombstone = await store.getMessage(room.id, original!.id);
      expect(tombstone).toMatchObject({ id: original!.id, seq: 1, type: 'text', text: '', deleted: true });
      expect(tombstone!.attachments).toBeUndefined();
      expect(await store.getAttachment(attachmentId)).toBeNull();
      // Its push job (not sent yet) goes too: no notification for a deleted message.
      expect((await t.db.query('SELECT 1 FROM push_outbox WHERE message_id = $1', [original!.id])).rows).toEqual([]);
      expect(await store.searchMessages({ userId: user.id, text: 'secret', roomId: room.id, limit: 10 })).toEqual([]);
      // A second delete, an edit of the tombstone, or a change of a join entry writes nothing.
      expect(await store.appendLifecycleEvent({ type: 'delete', roomId: room.id, actorId: user.id, targetId: original!.id })).toBeNull();
      expect(await store.appendLifecycleEvent({ type: 'edit', roomId: room.id, actorId: user.id, targetId: original!.id, text: 'x' })).toBeNull();
      expect(await store.lastSeq(room.id)).toBe(2);
    });

    it('writes nothing for a non-member, another room, an unknown target or a non-text target', async () => {
      const owner = await newUser();
      const outsider = await newUser();
      const joiner = await newUser();
      const room = await newRoom(owner);
      const other = await newRoom(owner);
      const message = await say(room, owner, 'hi');
      const join = (await store.addMember(room.id, joiner.id)).message!;
      const edit = (targetId: string, actorId = owner.id, roomId = room.id) => store.appendLifecycleEvent({ type: 'edit', roomId, actorId, targetId, text: 'x' });
      expect(await edit(message.id, outsider.id)).toBeNull();
      expect(await edit(message.id, owner.id, other.id)).toBeNull();
      expect(await edit(randomUUID())).toBeNull();
      expect(await edit(join.id)).toBeNull();
      expect(await edit('not-a-uuid')).toBeNull();
      expect(await store.lastSeq(room.id)).toBe(2);
      expect((await store.getMessage(room.id, message.id))?.text).toBe('hi');
      expect(await store.getMessage(other.id, message.id)).toBeNull();
    });

    it('leaves edit and delete entries out of unread counts, before and after reading past them', async () => {
      const owner = await newUser();
      const reader = await newUser();
      const room = await newRoom(owner);
      await store.addMember(room.id, reader.id); // seq 1 (join)
      const unread = async () => (await store.listMemberRooms(reader.id)).find((r) => r.id === room.id)!.unread;
      const a = await say(room, owner, 'a'); // 2
      await store.appendLifecycleEvent({ type: 'edit', roomId: room.id, actorId: owner.id, targetId: a.id, text: 'A' }); // 3
      const b = await say(room, owner, 'b'); // 4
      expect(await unread()).toBe(3);
      await store.markRead(room.id, reader.id, 3);
      expect(await unread()).toBe(1);
      await store.appendLifecycleEvent({ type: 'delete', roomId: room.id, actorId: owner.id, targetId: b.id }); // 5
      await say(room, owner, 'c'); // 6
      expect(await unread()).toBe(2);
      await store.markRead(room.id, reader.id, 5);
      expect(await unread()).toBe(1);
      await store.markRead(room.id, reader.id, 6);
      expect(await unread()).toBe(0);
      expect((await store.listMemberRooms(reader.id)).find((r) => r.id === room.id)).toMatchObject({ lastSeq: 6, lastReadSeq: 6 });
    });

    it('stores a reply with a quote of the message as it is now (deleted: no text)', async () => {
      const user = await newUser();
      const room = await newRoom(user);
      const long = 'x'.repeat(150);
      const original = await say(room, user, long);
      const [reply] = await store.appendMemberMessages([{ roomId: room.id, senderId: user.id, text: 'answer', replyTo: original.id }]);
      expect(reply!.replyTo).toEqual({ id: original.id, sender: { id: user.id, username: user.username }, text: 'x'.repeat(100) });
      await store.appendLifecycleEvent({ type: 'edit', roomId: room.id, actorId: user.id, targetId: original.id, text: 'short' });
      expect((await store.getMessage(room.id, reply!.id))?.replyTo?.text).toBe('short');
      await store.appendLifecycleEvent({ type: 'delete', roomId: room.id, actorId: user.id, targetId: original.id });
      const [, stored] = await store.listMessages(room.id, { after: 0, limit: 2 });
      expect(stored!.replyTo).toEqual({ id: original.id, sender: { id: user.id, username: user.username }, text: '', deleted: true });
      await expectError(store.appendMemberMessages([{ roomId: room.id, senderId: user.id, text: 'x', replyTo: 'nope' }]), 'bad_request');
    });

    it('keeps seqs gap-free with edits, deletes and sends racing, and applies only one of racing deletes', async () => {
      const user = await newUser();
      const room = await newRoom(user);
      const targets = await Promise.all(Array.from({ length: 10 }, (_, i) => say(room, user, `t${i}`)));
      const results = await Promise.all([
        ...targets.map((m) => store.appendLifecycleEvent({ type: 'delete', roomId: room.id, actorId: user.id, targetId: m.id })),
        ...targets.map((m) => store.appendLifecycleEvent({ type: 'delete', roomId: room.id, actorId: user.id, targetId: m.id })),
        ...Array.from({ length: 20 }, (_, i) => say(room, user, `n${i}`)),
      ]);
      expect(results.filter((r) => r?.type === 'delete')).toHaveLength(10);
      const seqs = (await store.listMessages(room.id, { after: 0, limit: 500 })).map((m) => m.seq);
      expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    });
  });

  describe('search', () => {
    it('finds text messages by word in the rooms the user belongs to, newest first', async () => {
      const alice = await newUser('alice');
      const bob = await newUser('bob');
      const shared = await newRoom(alice);
      await store.addMember(shared.id, bob.id);
      const alicesOwn = await newRoom(alice, true);
      const bobsOwn = await newRoom(bob);
      const word = `zebra${tag()}`;

      const first = await backdate(await say(shared, alice, `a ${word} crossed the road`), 30);
      const second = await backdate(await say(alicesOwn, alice, `Another ${word.toUpperCase()}!`), 20);
      const third = await backdate(await say(bobsOwn, bob, `bob's ${word}`), 10);
      await say(shared, bob, 'nothing to see here');

      expect(await store.searchMessages({ userId: alice.id, text: word, limit: 10 })).toEqual([second, first]);
      expect(await store.searchMessages({ userId: bob.id, text: word, limit: 10 })).toEqual([third, first]);
      expect(await store.searchMessages({ userId: alice.id, text: word, roomId: shared.id, limit: 10 })).toEqual([first]);
      expect(await store.searchMessages({ userId: alice.id, text: word, roomId: bobsOwn.id, limit: 10 })).toEqual([]);
      expect(await store.searchMessages({ userId: alice.id, text: word, limit: 1 })).toEqual([second]);
      // websearch syntax: quoted phrases and exclusions.
      expect(await store.searchMessages({ userId: alice.id, text: `"crossed the road" ${word}`, limit: 10 })).toEqual([first]);
      expect(await store.searchMessages({ userId: alice.id, text: `${word} -road`, limit: 10 })).toEqual([second]);
      expect(await store.searchMessages({ userId: alice.id, text: '   ', limit: 10 })).toEqual([]);

      await store.removeMember(shared.id, bob.id);
      expect(await store.searchMessages({ userId: bob.id, text: word, limit: 10 })).toEqual([third]);
    });

    it('never returns join or leave messages', async () => {
      const owner = await newUser();
      const bob = await newUser('bob');
      const room = await newRoom(owner);
      await store.addMember(room.id, bob.id);
      await store.removeMember(room.id, bob.id);
      const mention = await say(room, owner, `where did ${bob.username} go`);
      expect(await store.searchMessages({ userId: owner.id, text: bob.username, limit: 10 })).toEqual([mention]);
      const joinedOrLeft = await store.searchMessages({ userId: owner.id, text: 'joined OR left', roomId: room.id, limit: 10 });
      expect(joinedOrLeft).toEqual([]);
    });
  });

  describe('read positions', () => {
    it('moves forward only, clamps to the last seq and drives unread counts', async () => {
      const owner = await newUser();
      const bob = await newUser('bob');
      const room = await newRoom(owner);
      await store.addMember(room.id, bob.id); // seq 1
      for (let i = 0; i < 4; i++) await say(room, owner, `m${i}`); // seqs 2..5

      expect(await store.listMemberRooms(bob.id)).toEqual([
        { ...room, memberCount: 2, lastSeq: 5, lastReadSeq: 0, unread: 5, mentions: 0 },
      ]);
      expect(await store.markRead(room.id, bob.id, 3)).toBe(3);
      expect(await store.markRead(room.id, bob.id, 2)).toBe(3);
      expect(await store.markRead(room.id, bob.id, 0)).toBe(3);
      expect((await store.listMemberRooms(bob.id))[0]).toMatchObject({ lastSeq: 5, lastReadSeq: 3, unread: 2 });
      expect(await store.markRead(room.id, bob.id, 1000)).toBe(5);
      await say(room, owner, 'new');
      expect((await store.listMemberRooms(bob.id))[0]).toMatchObject({ lastSeq: 6, lastReadSeq: 5, unread: 1 });
      expect((await store.listMemberRooms(owner.id))[0]).toMatchObject({ lastSeq: 6, lastReadSeq: 0, unread: 6 });
    });

    it('rejects non-members, unknown rooms and invalid positions', async () => {
      const owner = await newUser();
      const stranger = await newUser();
      const room = await newRoom(owner);
      await expectError(store.markRead(room.id, stranger.id, 1), 'not_found', 'not a member of this room');
      await expectError(store.markRead(randomUUID(), owner.id, 1), 'not_found', 'room not found');
      await expectError(store.markRead(room.id, owner.id, -1), 'bad_request');
      await expectError(store.markRead(room.id, owner.id, Number.NaN), 'bad_request');
    });
  });

  describe('devices', () => {
    it('upserts idempotently and moves a token to its newest user', async () => {
      const alice = await newUser('alice');
      const bob = await newUser('bob');
      const token = `fcm-${tag()}`;

      const first = await store.upsertDevice(alice.id, token, 'android');
      expect(first).toEqual({ token, userId: alice.id, platform: 'android', createdAt: expect.any(String), updatedAt: expect.any(String) });
      const again = await store.upsertDevice(alice.id, token, 'android');
      expect(again.createdAt).toBe(first.createdAt);
      expect(again.updatedAt >= first.updatedAt).toBe(true);
      expect(await store.listDevices(alice.id)).toEqual([again]);

      const moved = await store.upsertDevice(bob.id, token, 'web');
      expect(moved).toMatchObject({ token, userId: bob.id, platform: 'web' });
      expect(await store.listDevices(alice.id)).toEqual([]);
      expect(await store.listDevices(bob.id)).toEqual([moved]);

      expect(await store.deleteDevice(alice.id, token)).toBe(false);
      expect(await store.listDevices(bob.id)).toHaveLength(1);
      expect(await store.deleteDevice(bob.id, token)).toBe(true);
      expect(await store.deleteDevice(bob.id, token)).toBe(false);
      expect(await store.listDevices(bob.id)).toEqual([]);
    });

    it('rejects bad tokens, platforms and unknown users', async () => {
      const user = await newUser();
      await expectError(store.upsertDevice(user.id, '', 'ios'), 'bad_request');
      await expectError(store.upsertDevice(user.id, `t-${tag()}`, 'symbian' as 'ios'), 'bad_request');
      await expectError(store.upsertDevice(randomUUID(), `t-${tag()}`, 'ios'), 'not_found', 'user not found');
    });
  });

  it('treats ids that are not uuids as not found', async () => {
    const user = await newUser();
    const room = await newRoom(user);
    for (const bad of ['not-a-uuid', "1' OR '1'='1", '', '00000000-0000-0000-0000-00000000000g']) {
      expect(await store.getUser(bad)).toBeNull();
      expect(await store.getRoom(bad)).toBeNull();
      expect(await store.isMember(bad, user.id)).toBe(false);
      expect(await store.isMember(room.id, bad)).toBe(false);
      expect(await store.getRoomForUser(bad, user.id)).toBeNull();
      expect(await store.getRoomForUser(room.id, bad)).toEqual({ room, member: false });
      expect(await store.listMemberIds(bad)).toEqual([]);
      expect(await store.listMemberRooms(bad)).toEqual([]);
      expect(await store.lastSeq(bad)).toBeNull();
      expect(await store.listMessages(bad, { limit: 5 })).toEqual([]);
      expect(await store.searchMessages({ userId: user.id, text: 'x', roomId: bad, limit: 5 })).toEqual([]);
      expect(await store.listDevices(bad)).toEqual([]);
      expect(await store.deleteDevice(bad, 'token')).toBe(false);
      await expectError(store.appendMessage({ roomId: bad, senderId: user.id, type: 'text', text: 'x' }), 'not_found');
      await expectError(store.addMember(bad, user.id), 'not_found');
      await expectError(store.addMember(room.id, bad), 'not_found');
      await expectError(store.removeMember(bad, user.id), 'not_found');
      await expectError(store.markRead(bad, user.id, 1), 'not_found');
      await expectError(store.createRoom({ name: 'r', private: false, createdBy: bad }), 'not_found');
      await expectError(store.upsertDevice(bad, 'token', 'web'), 'not_found');
    }
  });
});
