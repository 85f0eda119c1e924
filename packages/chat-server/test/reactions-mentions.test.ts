import { beforeAll, describe, expect, it } from 'vitest';
import { editSendDestination, reactSendDestination, roomSendDestination, type UnreadUpdate } from '@chorus/protocol';
import type { Harness, Replica, TestUser } from './support/harness.js';
import { sendWithReceipt, subscribeInbox, subscribeWithReceipt } from './support/stomp-clients.js';
import { useTwoReplicas } from './support/two-replicas.js';

/**
 * Reactions are entries of the room's sequence (live on every replica, replayed by `since`);
 * mentions are resolved by the server and counted apart on /user/queue/unread. Two replicas
 * share one store and talk through Redis, as in production.
 */
describe('reactions and mentions over STOMP', () => {
  const replicas = useTwoReplicas();
  const { connect } = replicas;
  let h: Harness;
  let b: Replica;
  let alice: TestUser;
  let bob: TestUser;
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    ({ h, b } = replicas);
    alice = await h.createUser('alice');
    bob = await h.createUser('bob');
  });

  it('reaches a live subscriber on the other replica, and a since-resume on the other replica replays each change once', async () => {
    const room = await h.createRoom(alice);
    await h.chat.join(bob, room.id);
    const topic = `/topic/rooms/${room.id}`;
    const aliceA = await connect(h.url, alice);
    const bobB = await connect(b.url, bob);
    const liveB = await subscribeWithReceipt(bobB, topic);

    await sendWithReceipt(aliceA, roomSendDestination(room.id), 'react to me');
    const [message] = await liveB.waitFor(1);
    await sendWithReceipt(aliceA, reactSendDestination(room.id), JSON.stringify({ messageId: message!.id, emoji: '👍' }), json);
    await sendWithReceipt(bobB, reactSendDestination(room.id), JSON.stringify({ messageId: message!.id, emoji: '👍' }), json);
    await sendWithReceipt(aliceA, reactSendDestination(room.id), JSON.stringify({ messageId: message!.id, emoji: '👍', remove: true }), json);
    const live = await liveB.waitFor(4);
    expect(live.slice(1)).toMatchObject([
      { type: 'reaction', targetId: message!.id, seq: message!.seq + 1, sender: { id: alice.id }, reaction: { emoji: '👍' }, reactions: [{ emoji: '👍', count: 1 }] },
      { type: 'reaction', targetId: message!.id, seq: message!.seq + 2, sender: { id: bob.id }, reactions: [{ emoji: '👍', count: 2 }] },
      { type: 'reaction', targetId: message!.id, seq: message!.seq + 3, reaction: { emoji: '👍', removed: true }, reactions: [{ emoji: '👍', count: 1 }] },
    ]);

    // A client that was away since the message resumes on replica A.
    const resumed = await connect(h.url, bob);
    const replay = await subscribeWithReceipt(resumed, topic, { since: String(message!.seq) });
    await h.chat.react(alice, room.id, message!.id, '🎉', false, 'http');
    const seen = await replay.waitFor(4);
    expect(seen.map((m) => [m.seq, m.type])).toEqual([1, 2, 3, 4].map((i) => [message!.seq + i, 'reaction']));
    expect(seen[3]!.reactions).toEqual([{ emoji: '👍', count: 1 }, { emoji: '🎉', count: 1 }]);
    const [current] = await h.chat.history(bob, room.id, { after: message!.seq - 1, limit: 1 });
    expect(current!.reactions).toEqual([{ emoji: '👍', count: 1, mine: true }, { emoji: '🎉', count: 1 }]);
  });

  it('refuses outsiders, bad bodies and bad emoji on /user/queue/errors, storing nothing', async () => {
    const room = await h.createRoom(alice);
    const message = await h.chat.send(alice, room.id, 'mine', 'http');
    const bobA = await connect(h.url, bob);
    const errors = subscribeInbox(bobA, '/user/queue/errors');
    const aliceB = await connect(b.url, alice);
    const aliceErrors = subscribeInbox(aliceB, '/user/queue/errors');
    const before = await h.store.lastSeq(room.id);
    bobA.publish({ destination: reactSendDestination(room.id), body: JSON.stringify({ messageId: message.id, emoji: '👍' }), headers: { ...json, receipt: 'r1' } });
    aliceB.publish({ destination: reactSendDestination(room.id), body: 'not json', headers: { receipt: 'r2' } });
    aliceB.publish({ destination: reactSendDestination(room.id), body: JSON.stringify({ messageId: message.id, emoji: 'x'.repeat(10_000) }), headers: { ...json, receipt: 'r3' } });
    aliceB.publish({ destination: reactSendDestination(room.id), body: JSON.stringify({ messageId: message.id, emoji: '👍', remove: 'yes' }), headers: { ...json, receipt: 'r4' } });
    const refusals = (await errors.waitFor(1)) as unknown as Array<{ code: string; receiptId: string }>;
    expect(refusals.map((r) => [r.receiptId, r.code])).toEqual([['r1', 'forbidden']]);
    const own = (await aliceErrors.waitFor(3)) as unknown as Array<{ code: string; receiptId: string }>;
    expect(own.map((r) => [r.receiptId, r.code])).toEqual([
      ['r2', 'bad_request'],
      ['r3', 'bad_request'],
      ['r4', 'bad_request'],
    ]);
    expect(await h.store.lastSeq(room.id)).toBe(before);
  });

  it('resolves @mentions at send time and counts them apart on /user/queue/unread, cleared by reading', async () => {
    const room = await h.createRoom(alice);
    await h.chat.join(bob, room.id);
    await h.chat.markRead(bob, room.id, (await h.store.lastSeq(room.id))!);
    const bobB = await connect(b.url, bob);
    const unread = await subscribeWithReceipt(bobB, '/user/queue/unread');
    const aliceA = await connect(h.url, alice);
    const live = await subscribeWithReceipt(aliceA, `/topic/rooms/${room.id}`);
    await sendWithReceipt(aliceA, roomSendDestination(room.id), `hi @${bob.username}, and @nobody_at_all`);
    const [sent] = await live.waitFor(1);
    expect(sent!.mentions).toEqual([bob.id]);
    const updates = (await unread.waitFor(1)) as unknown as UnreadUpdate[];
    expect(updates[0]).toMatchObject({ roomId: room.id, unread: 1, mentions: 1 });
    // A reaction is neither unread nor a mention.
    await h.chat.react(alice, room.id, sent!.id, '👀', false, 'http');
    await h.chat.send(alice, room.id, 'plain', 'http');
    const more = (await unread.waitFor(2)) as unknown as UnreadUpdate[];
    expect(more[1]).toMatchObject({ roomId: room.id, unread: 2, mentions: 1 });
    const rooms = await h.chat.listMemberRooms(bob);
    expect(rooms.find((r) => r.id === room.id)).toMatchObject({ unread: 2, mentions: 1 });
    await h.chat.markRead(bob, room.id, more[1]!.lastSeq);
    const cleared = (await unread.waitFor(3)) as unknown as UnreadUpdate[];
    expect(cleared[2]).toMatchObject({ roomId: room.id, unread: 0, mentions: 0 });
  });

  it('re-resolves @mentions on a STOMP edit: a newly mentioned member is counted once, on the other replica too', async () => {
    const room = await h.createRoom(alice);
    await h.chat.join(bob, room.id);
    const aliceA = await connect(h.url, alice);
    const live = await subscribeWithReceipt(aliceA, `/topic/rooms/${room.id}`);
    await sendWithReceipt(aliceA, roomSendDestination(room.id), 'hi all');
    const [sent] = await live.waitFor(1);
    expect(sent!.mentions).toBeUndefined();
    await h.chat.markRead(bob, room.id, sent!.seq);
    const bobB = await connect(b.url, bob);
    const unread = await subscribeWithReceipt(bobB, '/user/queue/unread');
    const edit = (text: string) => sendWithReceipt(aliceA, editSendDestination(room.id), JSON.stringify({ messageId: sent!.id, text }), json);
    await edit(`hi @${bob.username}`);
    const [, entry] = await live.waitFor(2);
    expect(entry).toMatchObject({ type: 'edit', targetId: sent!.id, mentions: [bob.id] });
    const updates = (await unread.waitFor(1)) as unknown as UnreadUpdate[];
    // The edit is no unread message, but it is a mention (counted at the edit's seq).
    expect(updates[0]).toMatchObject({ roomId: room.id, unread: 0, mentions: 1, lastSeq: entry!.seq });
    expect((await h.chat.listMemberRooms(bob)).find((r) => r.id === room.id)).toMatchObject({ mentions: 1 });
    // Removed, then named again: still one mention, and the second entry names no one.
    await edit('hi all');
    await edit(`hi again @${bob.username}`);
    const entries = await live.waitFor(4);
    expect(entries[2]!.mentions).toBeUndefined();
    expect(entries[3]!.mentions).toBeUndefined();
    expect((await h.store.getMessage(room.id, sent!.id))!.mentions).toEqual([bob.id]);
    expect((await h.chat.listMemberRooms(bob)).find((r) => r.id === room.id)).toMatchObject({ mentions: 1 });
    await h.chat.markRead(bob, room.id, entries[3]!.seq);
    const cleared = (await unread.waitFor(2)) as unknown as UnreadUpdate[];
    expect(cleared[1]).toMatchObject({ roomId: room.id, mentions: 0 });
    expect(cleared).toHaveLength(2); // no update for the edits that mentioned no one new
  });
});
