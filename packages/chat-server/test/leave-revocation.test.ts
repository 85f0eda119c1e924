import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness, type Replica, type TestUser } from './support/harness.js';
import { RawStompClient } from './support/raw-client.js';

const NUL = '\0';

/**
 * Leaving a room ends every subscription of the user to anything under it (the room, its
 * typing and its presence), on every replica, whatever the client subscribed to. Two replicas
 * share one store and talk through Redis, as in production.
 */
describe('leaving a room ends its subscriptions on every replica', () => {
  let h: Harness;
  let b: Replica;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  const open: RawStompClient[] = [];
  const connect = async (wsUrl: string, user: TestUser) => {
    const c = await RawStompClient.connected(wsUrl, user.token);
    open.push(c);
    return c;
  };
  const subscribe = async (c: RawStompClient, id: string, destination: string) => {
    c.send(`SUBSCRIBE\nid:${id}\ndestination:${destination}\nreceipt:${id}\n\n${NUL}`);
    expect(await c.next()).toMatchObject({ command: 'RECEIPT', headers: { 'receipt-id': id } });
  };

  beforeAll(async () => {
    h = await startHarness({ broker: 'redis' });
    b = await h.startReplica();
    alice = await h.createUser('alice');
    bob = await h.createUser('bob');
    carol = await h.createUser('carol');
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('ends /typing and /presence subscriptions (no room subscription) on both replicas', async () => {
    const room = await h.createRoom(alice, { private: true });
    await h.chat.addMember(alice, room.id, bob.id);
    await h.chat.addMember(alice, room.id, carol.id);
    const topic = `/topic/rooms/${room.id}`;

    // Bob on replica B: typing, presence and errors only. Bob on replica A: typing only.
    const bobB = await connect(b.wsUrl, bob);
    await subscribe(bobB, 'err', '/user/queue/errors');
    await subscribe(bobB, 'typing', `${topic}/typing`);
    await subscribe(bobB, 'presence', `${topic}/presence`);
    const bobA = await connect(h.wsUrl, bob);
    await subscribe(bobA, 'typing', `${topic}/typing`);
    // Carol, on each replica, receives what bob would: the same process fans out to both at once.
    const carolB = await connect(b.wsUrl, carol);
    await subscribe(carolB, 'typing', `${topic}/typing`);
    await subscribe(carolB, 'presence', `${topic}/presence`);
    const carolA = await connect(h.wsUrl, carol);
    await subscribe(carolA, 'typing', `${topic}/typing`);

    const alicePeer = await connect(h.wsUrl, alice);
    alicePeer.send(`SEND\ndestination:/app/rooms/${room.id}/typing\nreceipt:t1\n\n${NUL}`);
    expect((await alicePeer.next()).headers['receipt-id']).toBe('t1');
    for (const c of [bobB, bobA, carolB, carolA]) expect((await c.next()).headers['destination']).toBe(`${topic}/typing`);

    // Bob leaves through replica A's service (the REST api's path).
    await h.chat.leave(bob, room.id);
    const revoked = await bobB.next();
    expect(revoked.headers['destination']).toBe('/user/queue/errors');
    expect(JSON.parse(revoked.body)).toMatchObject({ code: 'forbidden', destination: topic, message: expect.stringMatching(/you left room/) });
    // Without /user/queue/errors the revocation is an ERROR frame, and the session ends.
    const ended = await bobA.next();
    expect(ended).toMatchObject({ command: 'ERROR', headers: { 'error-code': 'forbidden' } });

    // Alice types and comes online; carol sees both on B, bob nothing.
    alicePeer.send(`SEND\ndestination:/app/rooms/${room.id}/typing\nreceipt:t2\n\n${NUL}`);
    expect((await alicePeer.next()).headers['receipt-id']).toBe('t2');
    alicePeer.send(`SUBSCRIBE\nid:room\ndestination:${topic}\nreceipt:r\n\n${NUL}`);
    expect((await alicePeer.next()).headers['receipt-id']).toBe('r');
    const seen = [await carolB.next(), await carolB.next()].map((f) => f.headers['destination']).sort();
    expect(seen).toEqual([`${topic}/presence`, `${topic}/typing`]);
    expect((await carolA.next()).headers['destination']).toBe(`${topic}/typing`);
    // Bob's B session is still open and answers, with nothing from the room before the answer.
    bobB.send(`SUBSCRIBE\nid:again\ndestination:${topic}/typing\nreceipt:again\n\n${NUL}`);
    const refusal = await bobB.next();
    expect(JSON.parse(refusal.body)).toMatchObject({ code: 'not_found', receiptId: 'again' });
    expect(bobB.frames.filter((f) => f.command === 'MESSAGE' && f.headers['destination']?.startsWith(topic))).toHaveLength(1);
  });
});
