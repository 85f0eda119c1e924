import type { Client } from '@stomp/stompjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness, type TestUser } from '../support/harness.js';
import { RawStompClient } from '../support/raw-client.js';
import { connectStomp, subscribeWithReceipt } from '../support/stomp-clients.js';
import { waitUntil } from '../support/wait.js';

const NUL = '\0';
const SEND_BUFFER_BYTES = 65_536;
const REPLAY_BUFFER_BYTES = 1_048_576;

/**
 * Hostile `since` replays: a client that stops reading and subscribes many times with `since:0`
 * to a room of large messages. The replay exemption from SEND_BUFFER_BYTES is one budget per
 * connection (REPLAY_BUFFER_BYTES), so the server buffers at most SEND_BUFFER_BYTES +
 * REPLAY_BUFFER_BYTES for it and then cuts it off, while a reading client replays in full.
 */
describe('replay abuse', () => {
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
});
