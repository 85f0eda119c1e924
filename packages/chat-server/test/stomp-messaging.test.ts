import type { Client } from '@stomp/stompjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeBackends } from '@chorus/core/testing';
import { startHarness, type Harness, type TestUser } from './support/harness.js';
import { RawStompClient } from './support/raw-client.js';
import { connectStomp, sendWithReceipt, subscribeWithReceipt } from './support/stomp-clients.js';

describe.each(storeBackends())('STOMP messaging with @stomp/stompjs over ws (%s store)', (storeKind) => {
  let h: Harness;
  let alice: TestUser;
  let bob: TestUser;
  const clients: Client[] = [];
  const connect = async (user: TestUser, transport: 'websocket' | 'sockjs' = 'websocket') => {
    const client = await connectStomp(h.url, user.token, { transport });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    h = await startHarness({ store: storeKind });
    alice = await h.createUser('alice');
    bob = await h.createUser('bob');
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.deactivate()));
    await h?.close();
  });

  it('delivers messages both ways between two members, in seq order, as stored', async () => {
    const room = await h.createRoom(alice);
    await h.chat.join(bob, room.id);
    const a = await connect(alice);
    const b = await connect(bob);
    const dest = `/topic/rooms/${room.id}`;
    const aInbox = await subscribeWithReceipt(a, dest);
    const bInbox = await subscribeWithReceipt(b, dest);

    await sendWithReceipt(a, `/app/rooms/${room.id}`, JSON.stringify({ text: 'hello bob' }), { 'content-type': 'application/json' });
    await sendWithReceipt(b, `/app/rooms/${room.id}`, 'hi alice', { 'content-type': 'text/plain' });

    const [first, second] = await bInbox.waitFor(2);
    await aInbox.waitFor(2);
    expect(first).toMatchObject({ roomId: room.id, type: 'text', text: 'hello bob', sender: { id: alice.id, username: alice.username } });
    expect(second).toMatchObject({ type: 'text', text: 'hi alice', sender: { id: bob.id } });
    expect(second!.seq).toBe(first!.seq + 1);
    expect(aInbox.messages.map((m) => m.id)).toEqual(bInbox.messages.map((m) => m.id));
    const frame = bInbox.frames[0]!;
    expect(frame.headers['message-id']).toBe(first!.id);
    expect(frame.headers['content-type']).toBe('application/json');
    expect(frame.headers['destination']).toBe(dest);
    // The RECEIPT means it is stored: history has exactly what was delivered.
    const history = await h.store.listMessages(room.id, { limit: 10 });
    expect(history.filter((m) => m.type === 'text').map((m) => m.id)).toEqual([first!.id, second!.id]);
  });

  it('broadcasts join and leave messages to subscribers', async () => {
    const room = await h.createRoom(alice);
    const a = await connect(alice);
    const inbox = await subscribeWithReceipt(a, `/topic/rooms/${room.id}`);
    await h.chat.join(bob, room.id);
    await h.chat.leave(bob, room.id);
    const [joined, left] = await inbox.waitFor(2);
    expect(joined).toMatchObject({ type: 'join', sender: { id: bob.id }, text: `${bob.username} joined` });
    expect(left).toMatchObject({ type: 'leave', sender: { id: bob.id }, text: `${bob.username} left` });
  });

  it('resumes with since: replays exactly the missed messages, then live ones, without gap or duplicate', async () => {
    const room = await h.createRoom(alice);
    await h.chat.join(bob, room.id);
    for (let i = 1; i <= 5; i++) await h.chat.send(alice, room.id, `before ${i}`, 'http');
    const history = await h.store.listMessages(room.id, { limit: 100 });
    const seen = history[2]!.seq; // the client saw up to here, then disconnected
    const b = await connect(bob);
    const inbox = await subscribeWithReceipt(b, `/topic/rooms/${room.id}`, { since: String(seen) });
    // Messages sent while the replay is being delivered and after it.
    const live = Promise.all([1, 2, 3].map((i) => h.chat.send(alice, room.id, `live ${i}`, 'http')));
    await live;
    const lastSeq = (await h.store.lastSeq(room.id))!;
    const received = await inbox.waitFor(lastSeq - seen);
    const seqs = received.map((m) => m.seq);
    expect(seqs).toEqual(Array.from({ length: lastSeq - seen }, (_, i) => seen + 1 + i));
    expect(new Set(received.map((m) => m.id)).size).toBe(received.length);
  });

  it('marks a truncated replay and replays only the newest REPLAY_LIMIT messages', async () => {
    const small = await startHarness({ store: storeKind, env: { REPLAY_LIMIT: '3' } });
    try {
      const u = await small.createUser('r');
      const room = await small.createRoom(u);
      for (let i = 1; i <= 6; i++) await small.chat.send(u, room.id, `m${i}`, 'http');
      const client = await connectStomp(small.url, u.token);
      clients.push(client);
      const inbox = await subscribeWithReceipt(client, `/topic/rooms/${room.id}`, { since: '0' });
      const got = await inbox.waitFor(3);
      expect(got.map((m) => m.text)).toEqual(['m4', 'm5', 'm6']);
      expect(inbox.frames[0]!.headers['replay-truncated']).toBe('true');
      expect(inbox.frames[0]!.headers['replay-from']).toBe('4');
      expect(inbox.frames[1]!.headers['replay-truncated']).toBeUndefined();
    } finally {
      await small.close();
    }
  });

  it('refuses a since-subscription whose replay the store cannot read, leaving nothing subscribed', async () => {
    const room = await h.createRoom(alice);
    await h.chat.send(alice, room.id, 'stored before', 'http');
    const client = await RawStompClient.connected(h.wsUrl, alice.token);
    try {
      client.send('SUBSCRIBE\nid:errors\ndestination:/user/queue/errors\nreceipt:r0\n\n\0');
      expect((await client.next()).headers['receipt-id']).toBe('r0');
      // The replay read fails (the channel's position read before it does not).
      const listMessages = h.store.listMessages;
      h.store.listMessages = () => Promise.reject(new Error('connection terminated'));
      try {
        client.send(`SUBSCRIBE\nid:s1\ndestination:/topic/rooms/${room.id}\nsince:0\nreceipt:r1\n\n\0`);
        const refused = await client.next();
        expect(refused.command).toBe('MESSAGE');
        expect(refused.headers['error-code']).toBe('unavailable');
        expect(refused.headers['receipt-id']).toBe('r1');
      } finally {
        h.store.listMessages = listMessages;
      }
      // The id is free again, and live messages reach the new subscription once each, in order.
      client.send(`SUBSCRIBE\nid:s1\ndestination:/topic/rooms/${room.id}\nreceipt:r2\n\n\0`);
      expect((await client.next()).headers['receipt-id']).toBe('r2');
      const first = await h.chat.send(alice, room.id, 'after 1', 'http');
      const second = await h.chat.send(alice, room.id, 'after 2', 'http');
      const delivered = [await client.next(), await client.next()];
      expect(delivered.map((f) => f.headers['subscription'])).toEqual(['s1', 's1']);
      expect(delivered.map((f) => (JSON.parse(f.body) as { id: string }).id)).toEqual([first.id, second.id]);
    } finally {
      client.close();
    }
  });

  it('delivers an HTTP-path send (ChatService) to STOMP subscribers exactly like a STOMP SEND', async () => {
    const room = await h.createRoom(alice);
    const a = await connect(alice);
    const inbox = await subscribeWithReceipt(a, `/topic/rooms/${room.id}`);
    const sent = await h.chat.send(alice, room.id, 'via http', 'http');
    const [got] = await inbox.waitFor(1);
    expect(got).toEqual(sent);
  });

  it('works over SockJS with sockjs-client', async () => {
    const room = await h.createRoom(alice);
    await h.chat.join(bob, room.id);
    const a = await connect(alice, 'sockjs');
    const b = await connect(bob, 'websocket');
    const aInbox = await subscribeWithReceipt(a, `/topic/rooms/${room.id}`);
    const bInbox = await subscribeWithReceipt(b, `/topic/rooms/${room.id}`);
    await sendWithReceipt(a, `/app/rooms/${room.id}`, JSON.stringify({ text: 'from sockjs' }));
    await sendWithReceipt(b, `/app/rooms/${room.id}`, JSON.stringify({ text: 'to sockjs' }));
    expect((await aInbox.waitFor(2)).map((m) => m.text)).toEqual(['from sockjs', 'to sockjs']);
    expect((await bInbox.waitFor(2)).map((m) => m.text)).toEqual(['from sockjs', 'to sockjs']);
  });

  it('announces version, heart-beat, server and user-name in CONNECTED', async () => {
    let connectedHeaders: Record<string, string> = {};
    const client = await connectStomp(h.url, alice.token);
    clients.push(client);
    client.onConnect = (frame) => {
      connectedHeaders = frame.headers;
    };
    // Reconnect once to capture the CONNECTED headers through the public callback.
    await client.deactivate();
    await new Promise<void>((resolve) => {
      client.onConnect = (frame) => {
        connectedHeaders = frame.headers;
        resolve();
      };
      client.activate();
    });
    expect(connectedHeaders['version']).toBe('1.2');
    expect(connectedHeaders['user-name']).toBe(alice.username);
    expect(connectedHeaders['server']).toMatch(/^chorus\//);
    expect(connectedHeaders['heart-beat']).toMatch(/^\d+,\d+$/);
  });
});
