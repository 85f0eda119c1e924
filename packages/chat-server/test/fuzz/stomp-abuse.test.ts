import type { Client } from '@stomp/stompjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness, type TestUser } from '../support/harness.js';
import { RawStompClient } from '../support/raw-client.js';
import { connectStomp, sendWithReceipt, subscribeWithReceipt } from '../support/stomp-clients.js';
import { waitUntil } from '../support/wait.js';

const NUL = '\0';
const SEND_BUFFER_BYTES = 65_536;
const REPLAY_BUFFER_BYTES = 1_048_576;

/**
 * Hostile clients that try to make one connection hold unbounded memory, while a good client
 * must keep being served.
 *
 * Hostile `since` replays: a client that stops reading and subscribes many times with `since:0`
 * to a room of large messages. The replay exemption from SEND_BUFFER_BYTES is one budget per
 * connection (REPLAY_BUFFER_BYTES), so the server buffers at most SEND_BUFFER_BYTES +
 * REPLAY_BUFFER_BYTES for it and then cuts it off, while a reading client replays in full.
 */
describe('memory abuse over STOMP', () => {
  let h: Harness;
  let alice: TestUser;
  let good: Client | undefined;

  beforeAll(async () => {
    h = await startHarness({
      env: { SEND_BUFFER_BYTES: String(SEND_BUFFER_BYTES), REPLAY_BUFFER_BYTES: String(REPLAY_BUFFER_BYTES), REPLAY_LIMIT: '100' },
    });
    alice = await h.createUser('alice');
  });
  afterAll(async () => {
    await good?.deactivate();
    await h?.close();
  });

  it('cuts off a non-reading client that stacks replays, while a reading one replays in full', async () => {
    const room = await h.createRoom(alice);
    // 100 messages of 3,000 characters: one replay is about 330 KB, five times SEND_BUFFER_BYTES.
    for (let batch = 0; batch < 5; batch++) {
      await h.chat.sendMany(alice, room.id, Array.from({ length: 20 }, (_, i) => `${batch * 20 + i} ${'r'.repeat(3000)}`), 'http');
    }
    const before = (await h.metrics.slowConsumerDisconnects.get()).values[0]?.value ?? 0;

    const greedy = await RawStompClient.connected(h.wsUrl, alice.token);
    (greedy.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    // 30 replays (10 MB) would all have been exempt, one per subscription.
    for (let i = 0; i < 30; i++) greedy.send(`SUBSCRIBE\nid:${i}\ndestination:/topic/rooms/${room.id}\nsince:0\n\n${NUL}`);

    await waitUntil(async () => ((await h.metrics.slowConsumerDisconnects.get()).values[0]?.value ?? 0) > before, 10_000, 'the slow-consumer cut');
    await waitUntil(() => h.gateway.connectionCount === 0, 5000, 'the greedy session to end');

    // A good client still gets its whole replay (330 KB, past SEND_BUFFER_BYTES) and is not cut.
    good = await connectStomp(h.url, alice.token);
    const inbox = await subscribeWithReceipt(good, `/topic/rooms/${room.id}`, { since: '0' });
    const replayed = await inbox.waitFor(100);
    expect(replayed.map((m) => m.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(h.gateway.connectionCount).toBe(1);
    greedy.close();
  });

  it('a transaction flood is refused at its bound and stores nothing, while a good client is served', async () => {
    const room = await h.createRoom(alice);
    const bob = await h.createUser('bob');
    await h.chat.join(bob, room.id);
    const flooder = await RawStompClient.connected(h.wsUrl, bob.token);
    flooder.send(`SUBSCRIBE\nid:err\ndestination:/user/queue/errors\nreceipt:e\n\n${NUL}BEGIN\ntransaction:t\n\n${NUL}`);
    expect((await flooder.next()).command).toBe('RECEIPT');
    good ??= await connectStomp(h.url, alice.token);
    const inbox = await subscribeWithReceipt(good, `/topic/rooms/${room.id}`);

    // 2,000 SENDs of 20 KB after 40 KB of padding each, 4 to a WebSocket message: 40 MB held before.
    const padding = '\n'.repeat(40_000);
    const body = 'f'.repeat(20_000);
    for (let m = 0; m < 500; m++) {
      let message = '';
      for (let i = 0; i < 4; i++) message += `${padding}SEND\ndestination:/app/rooms/${room.id}\ntransaction:t\n\n${body}${NUL}`;
      flooder.send(message);
      if (m % 125 === 0) await sendWithReceipt(good, `/app/rooms/${room.id}`, `during ${m}`);
    }
    flooder.send(`COMMIT\ntransaction:t\nreceipt:c\n\n${NUL}`);
    // TRANSACTION_MAX_BYTES (256 KiB) fits 12 of these SENDs: the 13th aborts the transaction,
    // later ones name an unknown transaction (or pass the send rate), and so does the COMMIT.
    const codes: string[] = [];
    for (;;) {
      const frame = await flooder.next(15_000);
      const reply = JSON.parse(frame.body) as { code: string; receiptId?: string };
      codes.push(reply.code);
      if (reply.receiptId === 'c') break;
    }
    expect(codes[0]).toBe('payload_too_large');
    expect(codes.slice(1).every((code) => code === 'bad_request' || code === 'rate_limited')).toBe(true);
    await sendWithReceipt(good, `/app/rooms/${room.id}`, 'after');
    const texts = (await inbox.waitFor(5)).map((m) => m.text);
    expect(texts).toEqual(['during 0', 'during 125', 'during 250', 'during 375', 'after']);
    const stored = await h.store.listMessages(room.id, { after: 0, limit: 50 });
    expect(stored.filter((m) => m.sender.id === bob.id && m.type === 'text')).toEqual([]);
    flooder.close();
  });
});
