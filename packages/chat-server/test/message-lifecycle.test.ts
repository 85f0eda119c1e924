import { beforeAll, describe, expect, it } from 'vitest';
import { deleteSendDestination, editSendDestination, roomSendDestination } from '@chorus/protocol';
import type { Harness, Replica, TestUser } from './support/harness.js';
import { sendWithReceipt, subscribeInbox, subscribeWithReceipt } from './support/stomp-clients.js';
import { useTwoReplicas } from './support/two-replicas.js';

/**
 * Edits and deletes are entries of the room's sequence: subscribers see them live, and a client
 * that resumes with `since` on ANOTHER replica gets every one it missed, without gap or duplicate.
 * Two replicas share one store and talk through Redis, as in production.
 */
describe('message edits and deletes over STOMP', () => {
  const replicas = useTwoReplicas();
  const { connect } = replicas;
  let h: Harness;
  let b: Replica;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    ({ h, b } = replicas);
    alice = await h.createUser('alice');
    bob = await h.createUser('bob');
  });

  it('reaches a live subscriber on the other replica, and a resume with since on the other replica replays every change once', async () => {
    const room = await h.createRoom(alice);
    await h.chat.join(bob, room.id);
    const topic = `/topic/rooms/${room.id}`;
    const aliceA = await connect(h.url, alice);
    const bobB = await connect(b.url, bob);
    const liveB = await subscribeWithReceipt(bobB, topic);

    await sendWithReceipt(aliceA, roomSendDestination(room.id), 'helo');
    await sendWithReceipt(aliceA, roomSendDestination(room.id), 'gone soon');
    const [first, second] = (await liveB.waitFor(2)).slice(-2);
    await sendWithReceipt(aliceA, editSendDestination(room.id), JSON.stringify({ messageId: first!.id, text: 'hello' }), { 'content-type': 'application/json' });
    await sendWithReceipt(aliceA, deleteSendDestination(room.id), JSON.stringify({ messageId: second!.id }), { 'content-type': 'application/json' });
    const live = await liveB.waitFor(4);
    expect(live.slice(2)).toMatchObject([
      { type: 'edit', targetId: first!.id, text: 'hello', sender: { id: alice.id }, seq: second!.seq + 1 },
      { type: 'delete', targetId: second!.id, text: '', sender: { id: alice.id }, seq: second!.seq + 2 },
    ]);

    // Bob was away since the first message; he resumes on replica A while alice edits again over REST's path.
    const resumed = await connect(h.url, bob);
    const replay = await subscribeWithReceipt(resumed, topic, { since: String(first!.seq) });
    await h.chat.editMessage(alice, room.id, first!.id, 'hello again', 'http');
    const seen = await replay.waitFor(4);
    expect(seen.map((m) => [m.seq, m.type])).toEqual([
      [second!.seq, 'text'],
      [second!.seq + 1, 'edit'],
      [second!.seq + 2, 'delete'],
      [second!.seq + 3, 'edit'],
    ]);
    // The replay reads entries as they are now: the deleted message is a tombstone.
    expect(seen[0]).toMatchObject({ id: second!.id, deleted: true, text: '' });
    expect(seen[3]).toMatchObject({ type: 'edit', targetId: first!.id, text: 'hello again' });
    // History pages show the current state.
    const [current] = await h.chat.history(bob, room.id, { after: first!.seq - 1, limit: 1 });
    expect(current).toMatchObject({ id: first!.id, text: 'hello again', editedAt: expect.any(String) });
  });

  it('refuses a bad edit on /user/queue/errors and stores nothing', async () => {
    const room = await h.createRoom(alice);
    await h.chat.join(bob, room.id);
    const message = await h.chat.send(alice, room.id, 'mine', 'http');
    const bobA = await connect(h.url, bob);
    const errors = subscribeInbox(bobA, '/user/queue/errors');
    const before = await h.store.lastSeq(room.id);
    bobA.publish({ destination: editSendDestination(room.id), body: JSON.stringify({ messageId: message.id, text: 'not yours' }), headers: { 'content-type': 'application/json', receipt: 'e1' } });
    bobA.publish({ destination: deleteSendDestination(room.id), body: 'not json', headers: { receipt: 'e2' } });
    const refusals = (await errors.waitFor(2)) as unknown as Array<{ code: string; receiptId: string; message: string }>;
    expect(refusals.map((r) => [r.receiptId, r.code])).toEqual([
      ['e1', 'forbidden'],
      ['e2', 'bad_request'],
    ]);
    expect(await h.store.lastSeq(room.id)).toBe(before);
  });

  it('delivers a reply sent over STOMP with its quote', async () => {
    const room = await h.createRoom(alice);
    await h.chat.join(bob, room.id);
    const question = await h.chat.send(alice, room.id, 'ready?', 'http');
    const bobA = await connect(h.url, bob);
    const live = await subscribeWithReceipt(bobA, `/topic/rooms/${room.id}`);
    await sendWithReceipt(bobA, roomSendDestination(room.id), JSON.stringify({ text: 'ready', replyTo: question.id }), { 'content-type': 'application/json' });
    const [reply] = await live.waitFor(1);
    expect(reply).toMatchObject({ text: 'ready', replyTo: { id: question.id, sender: { id: alice.id }, text: 'ready?' } });
  });
});

