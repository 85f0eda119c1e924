import { randomUUID } from 'node:crypto';
import type { Client } from '@stomp/stompjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type Message } from '@chorus/core';
import { startHarness, type Harness, type TestUser } from './support/harness.js';
import { RawStompClient } from './support/raw-client.js';
import { RawSockJs, type SockJsKind } from './support/raw-sockjs.js';
import { connectStomp, subscribeWithReceipt } from './support/stomp-clients.js';

describe('slow consumers', () => {
  let h: Harness;
  let alice: TestUser;
  let client: Client | undefined;

  beforeAll(async () => {
    h = await startHarness({ env: { SEND_BUFFER_BYTES: '65536' } });
    alice = await h.createUser('alice');
  });
  afterAll(async () => {
    await client?.deactivate();
    await h?.close();
  });

  it('cuts off a client that stops reading at the buffer bound while a healthy subscriber gets everything', async () => {
    const room = await h.createRoom(alice);
    const slow = await RawStompClient.connected(h.wsUrl, alice.token);
    slow.send(`SUBSCRIBE\nid:0\ndestination:/topic/rooms/${room.id}\nreceipt:s\n\n\0`);
    expect((await slow.next()).command).toBe('RECEIPT');
    client = await connectStomp(h.url, alice.token);
    const healthy = await subscribeWithReceipt(client, `/topic/rooms/${room.id}`);

    // Stop reading: the kernel buffers fill, then the server's send buffer grows.
    (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const before = (await h.metrics.slowConsumerDisconnects.get()).values[0]?.value ?? 0;
    const count = 600;
    const text = 'x'.repeat(30_000);
    for (let seq = 1; seq <= count; seq++) {
      const message: Message = {
        id: randomUUID(),
        roomId: room.id,
        seq,
        type: 'text',
        sender: { id: alice.id, username: alice.username },
        text,
        createdAt: new Date().toISOString(),
      };
      await h.broker.publish(topics.room(room.id), JSON.stringify(message));
      // A healthy client keeps up: pace publishing by its reading.
      await healthy.waitFor(seq);
    }
    const received = healthy.messages;
    expect(received.map((m) => m.seq)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    const after = (await h.metrics.slowConsumerDisconnects.get()).values[0]?.value ?? 0;
    expect(after - before).toBe(1);
    // The server dropped the slow connection rather than buffering 18 MB for it.
    expect(h.gateway.connectionCount).toBe(1);
    (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    await slow.closed;
    expect(slow.frames.filter((f) => f.command === 'MESSAGE').length).toBeLessThan(count);
  });

  // Every transport is held to the same SEND_BUFFER_BYTES (sockjs's own buffers were not counted).
  it.each<SockJsKind>(['websocket', 'xhr-streaming', 'xhr-polling'])('cuts off a SockJS %s client that stops reading', async (kind) => {
    const room = await h.createRoom(alice);
    const slow = await RawSockJs.open(h.url, kind);
    await slow.send(`CONNECT\naccept-version:1.2\nAuthorization:Bearer ${alice.token}\n\n\0`);
    expect(await slow.next()).toMatch(/^CONNECTED/);
    await slow.send(`SUBSCRIBE\nid:0\ndestination:/topic/rooms/${room.id}\nreceipt:s\n\n\0`);
    expect(await slow.next()).toMatch(/^RECEIPT/);
    const healthy = await subscribeWithReceipt(client!, `/topic/rooms/${room.id}`);
    const sessions = h.gateway.connectionCount;

    // Streaming and WebSocket clients stop reading their socket; a polling client stops polling.
    slow.pause();
    const cuts = async () => (await h.metrics.slowConsumerDisconnects.get()).values[0]?.value ?? 0;
    const before = await cuts();
    const text = 'x'.repeat(30_000);
    let seq = 0;
    // 600 messages of 30 KB (18 MB) unless the server cuts the client off first.
    while (seq < 600 && (await cuts()) === before) {
      seq++;
      const message: Message = {
        id: randomUUID(),
        roomId: room.id,
        seq,
        type: 'text',
        sender: { id: alice.id, username: alice.username },
        text,
        createdAt: new Date().toISOString(),
      };
      await h.broker.publish(topics.room(room.id), JSON.stringify(message));
      await healthy.waitFor(seq);
    }
    expect(await cuts()).toBe(before + 1);
    expect(seq).toBeLessThan(600);
    expect(h.gateway.connectionCount).toBe(sessions - 1);
    slow.close();
  });
});
