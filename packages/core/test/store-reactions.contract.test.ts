import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Room, User } from '../src/domain/types.js';
import { ChorusError } from '../src/errors.js';
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
});
