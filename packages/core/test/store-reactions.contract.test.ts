import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Room, User } from '../src/domain/types.js';
import { ChorusError } from '../src/errors.js';
import { SqlPushQueue } from '../src/push/sql-push-queue.js';
import type { SqlStore } from '../src/store/sql-store.js';
import type { ReactionChange } from '../src/store/store.js';
import { createTestStore, storeBackends, type TestStore } from '../src/testing/index.js';

const tag = () => randomBytes(5).toString('hex');

function expectError(promise: Promise<unknown>, code: string, message?: RegExp) {
  return expect(promise).rejects.toSatisfy((err: unknown) => {
    if (!(err instanceof ChorusError) || err.code !== code || (message !== undefined && !message.test(err.message))) throw err;
    return true;
  });
}

// Reactions, mentions and user settings, on PGlite and Postgres alike.
describe.each(storeBackends())('Store contract: reactions and mentions (%s)', (backend) => {
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
  async function setup() {
    const alice = await newUser('alice');
    const bob = await newUser('bob');
    const room: Room = await store.createRoom({ name: `room ${tag()}`, private: false, createdBy: alice.id });
    await store.addMember(room.id, bob.id);
    // Bob can be notified, so alice's text messages get push jobs.
    await store.upsertDevice(bob.id, `tok-${bob.id}`, 'android');
    const [message] = await store.appendMemberMessages([{ roomId: room.id, senderId: alice.id, text: 'hi' }]);
    return { alice, bob, room, message: message! };
  }
  const change = (over: Partial<ReactionChange> & Pick<ReactionChange, 'roomId' | 'messageId' | 'actorId'>): ReactionChange => ({
    emoji: '👍',
    remove: false,
    maxPerMessage: 20,
    maxPerUser: 10,
    ...over,
  });

  it('stores a reaction as the next seq, with the aggregate on the entry and on the message', async () => {
    const { alice, bob, room, message } = await setup();
    const first = await store.changeReaction(change({ roomId: room.id, messageId: message.id, actorId: bob.id }));
    expect(first?.entry).toMatchObject({ type: 'reaction', seq: message.seq + 1, targetId: message.id, text: '👍', reaction: { emoji: '👍' }, sender: { id: bob.id } });
    expect(first?.reactions).toEqual([{ emoji: '👍', count: 1 }]);
    const second = await store.changeReaction(change({ roomId: room.id, messageId: message.id, actorId: alice.id }));
    expect(second?.entry?.reactions).toEqual([{ emoji: '👍', count: 2 }]);
    const third = await store.changeReaction(change({ roomId: room.id, messageId: message.id, actorId: alice.id, emoji: '🎉' }));
    expect(third?.reactions).toEqual([{ emoji: '👍', count: 2 }, { emoji: '🎉', count: 1 }]);
    const history = await store.listMessages(room.id, { limit: 50, after: message.seq - 1 });
    expect(history.map((m) => [m.seq, m.type])).toEqual([[message.seq, 'text'], [message.seq + 1, 'reaction'], [message.seq + 2, 'reaction'], [message.seq + 3, 'reaction']]);
    expect(history[0]!.reactions).toEqual([{ emoji: '👍', count: 2 }, { emoji: '🎉', count: 1 }]);
    const mine = await store.listOwnReactions(alice.id, [message.id, randomUUID()]);
    expect([...(mine.get(message.id) ?? [])].sort()).toEqual(['👍', '🎉'].sort());
    expect(mine.size).toBe(1);
  });

  it('is idempotent: adding twice or removing an absent reaction writes no entry', async () => {
    const { bob, room, message } = await setup();
    await store.changeReaction(change({ roomId: room.id, messageId: message.id, actorId: bob.id }));
    const again = await store.changeReaction(change({ roomId: room.id, messageId: message.id, actorId: bob.id }));
    expect(again).toEqual({ entry: null, reactions: [{ emoji: '👍', count: 1 }] });
    const removed = await store.changeReaction(change({ roomId: room.id, messageId: message.id, actorId: bob.id, remove: true }));
    expect(removed?.entry).toMatchObject({ type: 'reaction', reaction: { emoji: '👍', removed: true }, reactions: [] });
    expect(removed?.reactions).toEqual([]);
    const absent = await store.changeReaction(change({ roomId: room.id, messageId: message.id, actorId: bob.id, remove: true }));
    expect(absent).toEqual({ entry: null, reactions: [] });
    expect(await store.lastSeq(room.id)).toBe(message.seq + 2);
    const [text] = await store.listMessages(room.id, { limit: 1, after: message.seq - 1 });
    expect(text!.reactions).toBeUndefined();
  });

  it('enforces the per-message and per-user bounds', async () => {
    const { alice, bob, room, message } = await setup();
    const emoji = ['😀', '😁', '😂', '🤣'];
    for (const e of emoji.slice(0, 3)) await store.changeReaction(change({ roomId: room.id, messageId: message.id, actorId: bob.id, emoji: e, maxPerMessage: 3, maxPerUser: 3 }));
    // A fourth emoji is a fourth distinct reaction and bob's fourth.
    await expectError(store.changeReaction(change({ roomId: room.id, messageId: message.id, actorId: alice.id, emoji: '🤣', maxPerMessage: 3 })), 'conflict', /at most 3 different/);
    await expectError(store.changeReaction(change({ roomId: room.id, messageId: message.id, actorId: bob.id, emoji: '😀', maxPerUser: 3 })).then(() => store.changeReaction(change({ roomId: room.id, messageId: message.id, actorId: bob.id, emoji: '🤣', maxPerMessage: 30, maxPerUser: 3 }))), 'conflict', /per user/);
    // An existing emoji may still be added by someone else.
    const joined = await store.changeReaction(change({ roomId: room.id, messageId: message.id, actorId: alice.id, emoji: '😂', maxPerMessage: 3 }));
    expect(joined?.reactions.find((r) => r.emoji === '😂')?.count).toBe(2);
  });

  it('writes nothing for outsiders, unknown or non-text targets, and refuses deleted messages', async () => {
    const { alice, room, message } = await setup();
    const outsider = await newUser('out');
    expect(await store.changeReaction(change({ roomId: room.id, messageId: message.id, actorId: outsider.id }))).toBeNull();
    expect(await store.changeReaction(change({ roomId: room.id, messageId: randomUUID(), actorId: alice.id }))).toBeNull();
    expect(await store.changeReaction(change({ roomId: room.id, messageId: 'nope', actorId: alice.id }))).toBeNull();
    const other = await store.createRoom({ name: `room ${tag()}`, private: false, createdBy: alice.id });
    expect(await store.changeReaction(change({ roomId: other.id, messageId: message.id, actorId: alice.id }))).toBeNull();
    const reaction = await store.changeReaction(change({ roomId: room.id, messageId: message.id, actorId: alice.id }));
    expect(await store.changeReaction(change({ roomId: room.id, messageId: reaction!.entry!.id, actorId: alice.id }))).toBeNull();
    await store.appendLifecycleEvent({ type: 'delete', roomId: room.id, actorId: alice.id, targetId: message.id });
    await expectError(store.changeReaction(change({ roomId: room.id, messageId: message.id, actorId: alice.id, emoji: '🎉' })), 'conflict', /deleted/);
    // The tombstone shows no reactions.
    const [tomb] = await store.listMessages(room.id, { limit: 1, after: message.seq - 1 });
    expect(tomb).toMatchObject({ deleted: true });
    expect(tomb!.reactions).toBeUndefined();
  });

  it('serialises concurrent reactions on one message: the last entry has every reaction', async () => {
    const { room, message } = await setup();
    const users = await Promise.all(Array.from({ length: 8 }, () => newUser('r')));
    for (const u of users) await store.addMember(room.id, u.id);
    const results = await Promise.all(users.map((u) => store.changeReaction(change({ roomId: room.id, messageId: message.id, actorId: u.id }))));
    const entries = results.map((r) => r!.entry!).sort((a, b) => a.seq - b.seq);
    expect(entries.map((e) => e.reactions![0]!.count)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('counts reaction entries as neither unread nor pushed', async () => {
    const { alice, bob, room, message } = await setup();
    await store.markRead(room.id, bob.id, message.seq);
    await store.changeReaction(change({ roomId: room.id, messageId: message.id, actorId: alice.id }));
    const bobs = (await store.listMemberRooms(bob.id)).find((r) => r.id === room.id)!;
    expect(bobs).toMatchObject({ unread: 0, lastSeq: message.seq + 1 });
    const { rows } = await t.db.query<{ n: string | number }>('SELECT count(*) AS n FROM push_outbox WHERE room_id = $1', [room.id]);
    expect(Number(rows[0]!.n)).toBe(1);
    // Reading past it keeps later counts right.
    await store.markRead(room.id, bob.id, message.seq + 1);
    await store.appendMemberMessages([{ roomId: room.id, senderId: alice.id, text: 'next' }]);
    expect((await store.listMemberRooms(bob.id)).find((r) => r.id === room.id)).toMatchObject({ unread: 1 });
  });

  it('stores mentions on the message and counts unread mentions until read', async () => {
    const { alice, bob, room, message } = await setup();
    const [m1, m2] = await store.appendMemberMessages([
      { roomId: room.id, senderId: alice.id, text: `hey @${bob.username}`, mentions: [bob.id] },
      { roomId: room.id, senderId: alice.id, text: 'no mention' },
    ]);
    expect(m1!.mentions).toEqual([bob.id]);
    expect(m2!.mentions).toBeUndefined();
    const [history] = await store.listMessages(room.id, { limit: 1, after: message.seq });
    expect(history!.mentions).toEqual([bob.id]);
    expect((await store.listMemberRooms(bob.id)).find((r) => r.id === room.id)).toMatchObject({ unread: 4, mentions: 1 });
    expect((await store.listMemberRooms(alice.id)).find((r) => r.id === room.id)).toMatchObject({ mentions: 0 });
    await store.markRead(room.id, bob.id, m2!.seq);
    expect((await store.listMemberRooms(bob.id)).find((r) => r.id === room.id)).toMatchObject({ unread: 0, mentions: 0 });
    // A deleted mention no longer counts.
    const [m3] = await store.appendMemberMessages([{ roomId: room.id, senderId: alice.id, text: `@${bob.username}`, mentions: [bob.id] }]);
    expect((await store.listMemberRooms(bob.id)).find((r) => r.id === room.id)).toMatchObject({ mentions: 1 });
    await store.appendLifecycleEvent({ type: 'delete', roomId: room.id, actorId: alice.id, targetId: m3!.id });
    expect((await store.listMemberRooms(bob.id)).find((r) => r.id === room.id)).toMatchObject({ mentions: 0 });
  });

  it('finds members by username in one query, case-insensitively, and never outsiders', async () => {
    const { alice, bob, room } = await setup();
    const outsider = await newUser('out');
    const found = await store.findMembersByUsername(room.id, [alice.username.toUpperCase(), bob.username, outsider.username, 'nobody_here']);
    expect(found.map((f) => f.id).sort()).toEqual([alice.id, bob.id].sort());
    expect(await store.findMembersByUsername('x', [alice.username])).toEqual([]);
  });

  it('keeps user settings, mentions notifying through a mute by default', async () => {
    const { alice } = await setup();
    expect(await store.getUserSettings(alice.id)).toEqual({ notifyMentionsWhenMuted: true });
    expect(await store.updateUserSettings(alice.id, { notifyMentionsWhenMuted: false })).toEqual({ notifyMentionsWhenMuted: false });
    expect(await store.updateUserSettings(alice.id, {})).toEqual({ notifyMentionsWhenMuted: false });
    expect(await store.getUserSettings(randomUUID())).toBeNull();
  });

  it('adds muted but mentioned members to push recipients, per their setting', async () => {
    const { alice, bob, room } = await setup();
    const carol = await newUser('carol');
    await store.addMember(room.id, carol.id);
    for (const u of [bob, carol]) {
      await store.upsertDevice(u.id, `tok-${u.id}`, 'android');
      await store.muteRoom(room.id, u.id, null);
    }
    await store.updateUserSettings(carol.id, { notifyMentionsWhenMuted: false });
    expect(await store.listPushRecipients(room.id)).toEqual([]);
    const byRoom = await store.listPushRecipientsByRoom([room.id], new Map([[room.id, [bob.id, carol.id, alice.id]]]));
    expect(byRoom.get(room.id)).toEqual([{ userId: bob.id, unread: 1, devices: [{ token: `tok-${bob.id}`, platform: 'android' }], mentionsOnly: true }]);
  });

  describe('mentions re-resolved on edit', () => {
    async function threeMembers() {
      const { alice, bob, room } = await setup();
      const carol = await newUser('carol');
      await store.addMember(room.id, carol.id);
      return { alice, bob, carol, room };
    }
    const mentionsOf = async (userId: string, roomId: string) => (await store.listMemberRooms(userId)).find((r) => r.id === roomId)?.mentions;
    const edit = (roomId: string, actorId: string, targetId: string, text: string, mentions: string[]) =>
      store.appendLifecycleEvent({ type: 'edit', roomId, actorId, targetId, text, mentions });
    /** The room's claimed push jobs from `fromSeq` on: [seq, mentions, mentionsOnly] (every due job of the test database is claimed). */
    async function claimedJobs(roomId: string, fromSeq: number) {
      const queue = new SqlPushQueue(t.db);
      for (let claims = await queue.claim({ maxRooms: 500, leaseMs: 60_000 }); claims.length > 0; claims = await queue.claim({ maxRooms: 500, leaseMs: 60_000 })) {
        const mine = claims.find((c) => c.roomId === roomId);
        if (mine) return mine.jobs.filter((j) => j.seq >= fromSeq).map((j) => [j.seq, j.mentions ?? [], j.mentionsOnly ?? false]);
      }
      return [];
    }

    it('counts and notifies members an edit mentions for the first time, once per message', async () => {
      const { alice, bob, carol, room } = await threeMembers();
      const [m] = await store.appendMemberMessages([{ roomId: room.id, senderId: alice.id, text: '@bob', mentions: [bob.id] }]);
      await store.markRead(room.id, bob.id, m!.seq);
      const e1 = await edit(room.id, alice.id, m!.id, '@bob @carol', [bob.id, carol.id]);
      // The entry names only the new mention; the message names both.
      expect(e1).toMatchObject({ type: 'edit', seq: m!.seq + 1, mentions: [carol.id] });
      expect((await store.getMessage(room.id, m!.id))!.mentions).toEqual([bob.id, carol.id]);
      expect(await mentionsOf(carol.id, room.id)).toBe(1);
      expect(await mentionsOf(bob.id, room.id)).toBe(0); // already mentioned (and read): not again
      // Removed: the message no longer names carol, her mention stays counted until read.
      const e2 = await edit(room.id, alice.id, m!.id, '@bob', [bob.id]);
      expect(e2!.mentions).toBeUndefined();
      expect((await store.getMessage(room.id, m!.id))!.mentions).toEqual([bob.id]);
      expect(await mentionsOf(carol.id, room.id)).toBe(1);
      // Named again: neither counted nor notified twice.
      const e3 = await edit(room.id, alice.id, m!.id, '@carol @bob', [carol.id, bob.id]);
      expect(e3!.mentions).toBeUndefined();
      expect(await mentionsOf(carol.id, room.id)).toBe(1);
      // One job for the message (bob), one for the first edit (carol only); later edits add none.
      expect(await claimedJobs(room.id, m!.seq)).toEqual([
        [m!.seq, [bob.id], false],
        [e1!.seq, [carol.id], true],
      ]);
      await store.markRead(room.id, carol.id, e1!.seq);
      expect(await mentionsOf(carol.id, room.id)).toBe(0);
    });

    it('notifies no one an edit removed before the push went out, nor of a deleted message', async () => {
      const { alice, bob, carol, room } = await threeMembers();
      const [m] = await store.appendMemberMessages([{ roomId: room.id, senderId: alice.id, text: '@bob', mentions: [bob.id] }]);
      const e1 = await edit(room.id, alice.id, m!.id, '@carol', [carol.id]);
      expect(e1!.mentions).toEqual([carol.id]);
      const e2 = await edit(room.id, alice.id, m!.id, 'nobody', []);
      expect((await store.getMessage(room.id, m!.id))!.mentions).toBeUndefined();
      expect(e2!.mentions).toBeUndefined();
      expect(await claimedJobs(room.id, m!.seq)).toEqual([
        [m!.seq, [], false],
        [e1!.seq, [], true],
      ]);
      // A deleted message's job goes with it; its edit's job (another row) notifies no one.
      const other = await threeMembers();
      const [n] = await store.appendMemberMessages([{ roomId: other.room.id, senderId: other.alice.id, text: 'x' }]);
      const e3 = await edit(other.room.id, other.alice.id, n!.id, '@bob', [other.bob.id]);
      await store.appendLifecycleEvent({ type: 'delete', roomId: other.room.id, actorId: other.alice.id, targetId: n!.id });
      expect(await claimedJobs(other.room.id, n!.seq)).toEqual([[e3!.seq, [], true]]);
    });

    it('serialises concurrent edits adding the same mention: one count, one job', async () => {
      const { alice, bob, room } = await threeMembers();
      const [m] = await store.appendMemberMessages([{ roomId: room.id, senderId: alice.id, text: 'x' }]);
      const edits = await Promise.all(Array.from({ length: 5 }, (_, i) => edit(room.id, alice.id, m!.id, `@bob ${i}`, [bob.id])));
      expect(edits.filter((e) => e?.mentions?.includes(bob.id))).toHaveLength(1);
      expect(await mentionsOf(bob.id, room.id)).toBe(1);
      expect((await claimedJobs(room.id, m!.seq)).filter(([, , only]) => only)).toHaveLength(1);
    });

    it('refuses mention ids that are not uuids', async () => {
      const { alice, room } = await threeMembers();
      const [m] = await store.appendMemberMessages([{ roomId: room.id, senderId: alice.id, text: 'x' }]);
      await expectError(edit(room.id, alice.id, m!.id, 'x', ['nope']), 'bad_request');
    });
  });
});
