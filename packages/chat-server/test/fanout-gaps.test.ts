import type { Client } from '@stomp/stompjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '@chorus/core';
import { startHarness, type Harness, type TestUser } from './support/harness.js';
import { connectStomp, subscribeWithReceipt } from './support/stomp-clients.js';

/**
 * Pub/sub is at-most-once. These tests drop and reorder publications on
 * purpose (by storing without publishing, and publishing out of order) and
 * check that subscribers still see every seq once, in order.
 */
describe('room fan-out repairs pub/sub gaps from the store', () => {
  let h: Harness;
  let alice: TestUser;
  const clients: Client[] = [];

  beforeAll(async () => {
    h = await startHarness();
    alice = await h.createUser('alice');
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.deactivate()));
    await h?.close();
  });

  async function subscribed(roomId: string) {
    const client = await connectStomp(h.url, alice.token);
    clients.push(client);
    return subscribeWithReceipt(client, `/topic/rooms/${roomId}`);
  }

  it('backfills messages whose publication was lost before delivering a newer one', async () => {
    const room = await h.createRoom(alice);
    const inbox = await subscribed(room.id);
    // Stored but never published: as if Redis dropped them.
    for (let i = 1; i <= 4; i++) await h.store.appendMessage({ roomId: room.id, senderId: alice.id, type: 'text', text: `lost ${i}` });
    const visible = await h.chat.send(alice, room.id, 'published', 'http');
    const got = await inbox.waitFor(5);
    expect(got.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(got.map((m) => m.text)).toEqual(['lost 1', 'lost 2', 'lost 3', 'lost 4', 'published']);
    expect(got[4]!.id).toBe(visible.id);
  });

  it('drops duplicate and late publications of already delivered seqs', async () => {
    const room = await h.createRoom(alice);
    const inbox = await subscribed(room.id);
    const m1 = await h.store.appendMessage({ roomId: room.id, senderId: alice.id, type: 'text', text: 'one' });
    const m2 = await h.store.appendMessage({ roomId: room.id, senderId: alice.id, type: 'text', text: 'two' });
    const m3 = await h.store.appendMessage({ roomId: room.id, senderId: alice.id, type: 'text', text: 'three' });
    // Out of order and duplicated, as two publishers racing could produce.
    for (const m of [m2, m1, m2, m3, m1, m3]) await h.broker.publish(topics.room(room.id), JSON.stringify(m));
    const m4 = await h.chat.send(alice, room.id, 'four', 'http');
    const got = await inbox.waitFor(4);
    expect(got.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(got[3]!.id).toBe(m4.id);
    expect(inbox.messages).toHaveLength(4);
  });

  it('reconciles every room after a broker reconnect', async () => {
    const room = await h.createRoom(alice);
    const inbox = await subscribed(room.id);
    for (let i = 1; i <= 3; i++) await h.store.appendMessage({ roomId: room.id, senderId: alice.id, type: 'text', text: `while away ${i}` });
    await h.gateway.roomHub.reconcileAll();
    const got = await inbox.waitFor(3);
    expect(got.map((m) => m.text)).toEqual(['while away 1', 'while away 2', 'while away 3']);
  });
});
