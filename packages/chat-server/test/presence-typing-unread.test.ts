import type { Client } from '@stomp/stompjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Room } from '@chorus/core';
import { startHarness, type Harness, type TestUser } from './support/harness.js';
import { connectStomp, sendWithReceipt, subscribeWithReceipt, type Inbox } from './support/stomp-clients.js';

/** The JSON bodies an inbox received (Inbox types them as messages; these are events). */
const bodies = (inbox: Inbox) => inbox.frames.map((f) => JSON.parse(f.body) as Record<string, unknown>);

describe('presence, typing and user queues (one chat-server)', () => {
  let h: Harness;
  let alice: TestUser;
  let bob: TestUser;
  let room: Room;
  const clients: Client[] = [];
  const connect = async (user: TestUser) => {
    const client = await connectStomp(h.url, user.token);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    h = await startHarness({ env: { TYPING_RATE_PER_SECOND: '1', TYPING_BURST: '2' } });
    alice = await h.createUser('alice');
    bob = await h.createUser('bob');
    room = await h.createRoom(alice);
    await h.chat.join(bob, room.id);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.deactivate()));
    await h.close();
  });

  it('announces users coming online and going offline on /topic/rooms/<id>/presence', async () => {
    const bobClient = await connect(bob);
    const presence = await subscribeWithReceipt(bobClient, `/topic/rooms/${room.id}/presence`);
    const aliceClient = await connect(alice);
    await subscribeWithReceipt(aliceClient, `/topic/rooms/${room.id}`);
    await presence.waitFor(1);
    expect(bodies(presence)[0]).toEqual({ type: 'presence', roomId: room.id, user: { id: alice.id, username: alice.username }, online: true });
    expect(await h.gateway.presenceTracker.presence.online(room.id)).toEqual([{ id: alice.id, username: alice.username }]);

    await aliceClient.deactivate();
    await presence.waitFor(2);
    expect(bodies(presence)[1]).toMatchObject({ type: 'presence', user: { id: alice.id }, online: false });
    expect(await h.gateway.presenceTracker.presence.online(room.id)).toEqual([]);
  });

  it('relays typing indicators to members, rate limited per user, never stored', async () => {
    const bobClient = await connect(bob);
    const typing = await subscribeWithReceipt(bobClient, `/topic/rooms/${room.id}/typing`);
    const aliceClient = await connect(alice);
    const errors = await subscribeWithReceipt(aliceClient, '/user/queue/errors');
    const lastSeq = await h.store.lastSeq(room.id);
    for (let i = 0; i < 2; i++) await sendWithReceipt(aliceClient, `/app/rooms/${room.id}/typing`, '');
    aliceClient.publish({ destination: `/app/rooms/${room.id}/typing`, body: '' }); // past the burst: refused
    await typing.waitFor(2);
    await errors.waitFor(1);
    expect(bodies(typing)[0]).toEqual({ type: 'typing', roomId: room.id, user: { id: alice.id, username: alice.username } });
    expect(bodies(errors)[0]).toMatchObject({ code: 'rate_limited', destination: `/app/rooms/${room.id}/typing` });
    expect(typing.frames).toHaveLength(2); // the refused third indicator was never relayed
    expect(await h.store.lastSeq(room.id)).toBe(lastSeq);
  });

  it('refuses presence and typing subscriptions to private rooms of which the user is not a member', async () => {
    const secret = await h.createRoom(alice, { private: true });
    const bobClient = await connect(bob);
    const errors = await subscribeWithReceipt(bobClient, '/user/queue/errors');
    bobClient.subscribe(`/topic/rooms/${secret.id}/presence`, () => {});
    bobClient.subscribe(`/topic/rooms/${secret.id}/typing`, () => {});
    await errors.waitFor(2);
    expect(bodies(errors).map((b) => b['code'])).toEqual(['not_found', 'not_found']);
  });

  it('sends unread counts to /user/queue/unread for rooms the user is not viewing', async () => {
    const bobClient = await connect(bob);
    const unread = await subscribeWithReceipt(bobClient, '/user/queue/unread');
    const aliceClient = await connect(alice);
    const before = (await h.store.listMemberRooms(bob.id)).find((r) => r.id === room.id)!;
    const base = bodies(unread).length;

    await sendWithReceipt(aliceClient, `/app/rooms/${room.id}`, 'one');
    await sendWithReceipt(aliceClient, `/app/rooms/${room.id}`, 'two');
    await unread.waitFor(base + 2);
    const seq = (await h.store.lastSeq(room.id))!;
    expect(bodies(unread).slice(base)).toEqual([
      { roomId: room.id, lastSeq: seq - 1, unread: before.unread + 1 , mentions: 0 },
      { roomId: room.id, lastSeq: seq, unread: before.unread + 2 , mentions: 0 },
    ]);

    // While bob views the room on this process, no unread update is sent for it.
    const viewing = await subscribeWithReceipt(bobClient, `/topic/rooms/${room.id}`);
    await sendWithReceipt(aliceClient, `/app/rooms/${room.id}`, 'three');
    await viewing.waitFor(1);
    await h.chat.markRead(bob, room.id, seq + 1);
    await unread.waitFor(base + 3);
    expect(bodies(unread)[base + 2]).toEqual({ roomId: room.id, lastSeq: seq + 1, unread: 0, mentions: 0 });
  });

  it('leaves edits and deletes out of the unread counts it sends', async () => {
    const lounge = await h.createRoom(alice);
    await h.chat.join(bob, lounge.id);
    const bobClient = await connect(bob);
    const unread = await subscribeWithReceipt(bobClient, '/user/queue/unread');
    const aliceClient = await connect(alice);
    const before = (await h.store.listMemberRooms(bob.id)).find((r) => r.id === lounge.id)!;
    const base = bodies(unread).length;

    const first = await h.chat.send(alice, lounge.id, 'tpyo', 'http');
    await h.chat.editMessage(alice, lounge.id, first.id, 'typo', 'http');
    await h.chat.deleteMessage(alice, lounge.id, first.id, 'http');
    await sendWithReceipt(aliceClient, `/app/rooms/${lounge.id}`, 'after');
    // One update per counted message (none for the edit and the delete), counts that skip them.
    await unread.waitFor(base + 2);
    const seq = (await h.store.lastSeq(lounge.id))!;
    expect(bodies(unread).slice(base)).toEqual([
      { roomId: lounge.id, lastSeq: seq - 3, unread: before.unread + 1 , mentions: 0 },
      { roomId: lounge.id, lastSeq: seq, unread: before.unread + 2 , mentions: 0 },
    ]);
    expect((await h.store.listMemberRooms(bob.id)).find((r) => r.id === lounge.id)!.unread).toBe(before.unread + 2);
    // Reading up to the delete leaves only the last message unread.
    await h.chat.markRead(bob, lounge.id, seq - 1);
    await unread.waitFor(base + 3);
    expect(bodies(unread)[base + 2]).toEqual({ roomId: lounge.id, lastSeq: seq, unread: 1, mentions: 0 });
  });

  it('delivers user-queue events published by any process to every session of that user', async () => {
    const [first, second] = [await connect(bob), await connect(bob)];
    const inboxes = [await subscribeWithReceipt(first, '/user/queue/unread'), await subscribeWithReceipt(second, '/user/queue/unread')];
    const other = await connect(alice);
    const aliceInbox = await subscribeWithReceipt(other, '/user/queue/unread');
    const body = { roomId: room.id, lastSeq: 99, unread: 7 };
    h.chat.publishUserEvent(bob.id, { type: 'queue', queue: 'unread', body });
    for (const inbox of inboxes) {
      await inbox.waitFor(1);
      expect(bodies(inbox)).toEqual([body]);
      expect(inbox.frames[0]!.headers['destination']).toBe('/user/queue/unread');
    }
    h.chat.publishUserEvent(alice.id, { type: 'queue', queue: 'unread', body: { marker: true } });
    await aliceInbox.waitFor(1);
    expect(bodies(aliceInbox)).toEqual([{ marker: true }]); // bob's event never reached alice
  });

  it('ends the room, presence and typing subscriptions of a user who leaves the room, telling the client', async () => {
    const leaver = await h.createUser('leaver');
    await h.chat.join(leaver, room.id);
    const client = await connect(leaver);
    const errors = await subscribeWithReceipt(client, '/user/queue/errors');
    const messages = await subscribeWithReceipt(client, `/topic/rooms/${room.id}`);
    const typing = await subscribeWithReceipt(client, `/topic/rooms/${room.id}/typing`);
    await h.chat.leave(leaver, room.id);
    await errors.waitFor(1);
    expect(bodies(errors)[0]).toMatchObject({ code: 'forbidden', destination: `/topic/rooms/${room.id}` });
    expect(messages.messages.map((m) => m.type)).toEqual(['leave']);

    await h.chat.send(alice, room.id, 'after you left', 'http');
    await sendWithReceipt(await connect(bob), `/app/rooms/${room.id}/typing`, '');
    // The connection stays open (errors go to the queue) and the next round trip sees nothing new.
    client.publish({ destination: `/app/rooms/${room.id}/typing`, body: '' });
    await errors.waitFor(2); // typing in a room one left is refused as well
    expect(bodies(errors)[1]).toMatchObject({ code: 'forbidden', destination: `/app/rooms/${room.id}/typing` });
    expect(messages.messages.map((m) => m.type)).toEqual(['leave']);
    expect(typing.frames).toHaveLength(0);
    expect(client.connected).toBe(true);
  });

  it('refuses unknown user queues with a clear error', async () => {
    const bobClient = await connect(bob);
    const errors = await subscribeWithReceipt(bobClient, '/user/queue/errors');
    bobClient.subscribe('/user/queue/nope', () => {});
    await errors.waitFor(1);
    expect(bodies(errors)[0]).toMatchObject({ code: 'not_found' });
    expect(String(bodies(errors)[0]!['message'])).toContain('/user/queue/unread');
  });
});
