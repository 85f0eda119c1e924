import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, ThrowawayRedis } from '@chorus/core/testing';
import { requireRedisServer } from './support/binaries.js';
import { lastSeqOf, openStomp, rest, RoomReader, roomWith, Sender, signup, type ApiUser } from './support/clients.js';
import { countDeliveries, report } from './support/counts.js';
import { ThrowawayPostgres } from './support/postgres-cluster.js';
import { delay, ServiceProcess, until } from './support/services.js';

const PRESENCE_TTL_MS = 3000;
const DRAIN_WINDOW_MS = 3000;

/**
 * Chorus as several processes (api + two chat-servers, from source) over a
 * Redis and a Postgres this suite owns, driven by real STOMP clients. Each
 * scenario breaks something while messages flow and then counts, per
 * subscriber, what was acknowledged and what arrived.
 */
describe('reliability: api + 2 chat-servers, real Redis and Postgres', () => {
  let pg: ThrowawayPostgres;
  let redis: ThrowawayRedis;
  let api: ServiceProcess;
  let chatA: ServiceProcess;
  let chatB: ServiceProcess;
  const replicas = () => [chatA.wsUrl, chatB.wsUrl];
  const running: { stop(): Promise<void> }[] = [];

  beforeAll(async () => {
    requireRedisServer();
    [pg, redis] = await Promise.all([ThrowawayPostgres.start(), ThrowawayRedis.start()]);
    const env = {
      DATABASE_URL: pg.url,
      REDIS_URL: redis.url,
      SEND_RATE_PER_SECOND: '100000',
      SEND_BURST: '100000',
      PRESENCE_TTL_MS: String(PRESENCE_TTL_MS),
      DRAIN_WINDOW_MS: String(DRAIN_WINDOW_MS),
      MAX_MESSAGE_LENGTH: '50000',
      DATABASE_POOL_SIZE: '8',
    };
    api = new ServiceProcess('api', 'packages/api/src/main.ts', await freePort(), env);
    await api.start(); // the api migrates; the chat-servers then find the schema current
    chatA = new ServiceProcess('chat-server A', 'packages/chat-server/src/main.ts', await freePort(), env);
    chatB = new ServiceProcess('chat-server B', 'packages/chat-server/src/main.ts', await freePort(), env);
    await Promise.all([chatA.start(), chatB.start()]);
  });

  afterAll(async () => {
    await Promise.all(running.splice(0).map((c) => c.stop().catch(() => {})));
    await Promise.all([api, chatA, chatB].map((s) => s?.kill()));
    await redis?.stop();
    await pg?.destroy();
  });

  /** Users, a room, subscribers spread over both replicas (with `since` recovery) and senders. */
  async function scenario(senderCount: number, readerCount: number) {
    const users: ApiUser[] = [];
    for (let i = 0; i < senderCount + readerCount; i++) users.push(await signup(api.url, i < senderCount ? 'sender' : 'reader'));
    const roomId = await roomWith(api.url, users);
    const readers = users.slice(senderCount).map((u, i) => new RoomReader(`reader${i}`, replicas, u.token, roomId, i));
    const senders = users.slice(0, senderCount).map((u, i) => new Sender(`sender${i}`, replicas, u.token, roomId, i));
    running.push(...readers, ...senders);
    await Promise.all([...readers, ...senders].map((c) => c.start()));
    const acked = () => senders.reduce((n, s) => n + s.acked.length, 0);
    /** Waits for every subscriber to reach the stored last seq, then counts. */
    const settle = async () => {
      const stored = await lastSeqOf(api.url, roomId, users[0]!.token);
      await until(() => readers.every((r) => r.lastSeq >= stored), `every subscriber to reach seq ${stored}`, 30_000);
      await Promise.all([...readers, ...senders].map((c) => c.stop()));
      const counts = countDeliveries(senders, readers, stored);
      for (const reader of readers) expect(reader.seqs).toEqual(Array.from({ length: stored }, (_, i) => i + 1));
      return counts;
    };
    return { users, roomId, readers, senders, acked, settle };
  }

  function expectNothingLost(counts: ReturnType<typeof countDeliveries>) {
    expect(counts.lost).toBe(0);
    expect(counts.duplicated).toBe(0);
    expect(counts.outOfOrder).toBe(0);
    expect(counts.refusedButDelivered).toBe(0);
    expect(counts.received).toBe(counts.stored * counts.subscribers);
  }

  it('1. kill -9 of a chat-server while 1,200 messages flow: every acknowledged message reaches every subscriber once, in order', async () => {
    const s = await scenario(4, 4);
    const sending = Promise.all(s.senders.map((sender) => sender.run(300)));
    await until(() => s.acked() >= 400, '400 acknowledged messages');
    await chatA.kill();
    await sending;
    const counts = await s.settle();
    report('kill -9 chat-server A', counts);
    expect(counts.acknowledged).toBeGreaterThanOrEqual(1000);
    expect(counts.reconnects).toBeGreaterThan(0);
    expectNothingLost(counts);
    await chatA.start();
  });

  it('2. Redis restarted mid-stream: replicas serve local subscribers, report not-ready, reconcile on return', async () => {
    const s = await scenario(4, 4);
    const sending = Promise.all(s.senders.map((sender) => sender.run(200, { pauseMs: 2 })));
    await until(() => s.acked() >= 200, '200 acknowledged messages');
    await redis.stop();
    const ackedAtStop = s.acked();
    await until(async () => (await chatA.readyStatus()) === 503 && (await chatB.readyStatus()) === 503, 'both replicas to report not ready');
    const receivedAtStop = s.readers.reduce((n, r) => n + r.seqs.length, 0);
    await until(() => s.acked() >= ackedAtStop + 100, '100 messages acknowledged while Redis is down');
    // Subscribers on the sender's replica keep getting its messages: local delivery needs no broker.
    await until(() => s.readers.reduce((n, r) => n + r.seqs.length, 0) > receivedAtStop + 100, 'local deliveries while Redis is down');
    const ackedWhileDown = s.acked() - ackedAtStop;
    const receivedWhileDown = s.readers.reduce((n, r) => n + r.seqs.length, 0) - receivedAtStop;
    await redis.restart();
    await until(async () => (await chatA.readyStatus()) === 200 && (await chatB.readyStatus()) === 200, 'both replicas ready again', 20_000);
    await sending;
    const counts = await s.settle();
    report('Redis restart', { ...counts, ackedWhileRedisDown: ackedWhileDown, receivedWhileRedisDown: receivedWhileDown });
    expectNothingLost(counts);
  });

  it('3. Postgres stopped for a few seconds: sends are refused with unavailable, none acknowledged and lost, service recovers', async () => {
    const s = await scenario(3, 3);
    let stop = false;
    const sending = Promise.all(s.senders.map((sender) => sender.run(100_000, { pauseMs: 5, shouldStop: () => stop })));
    await until(() => s.acked() >= 100, '100 acknowledged messages');
    await pg.stop();
    const refused = () => s.senders.reduce((n, sender) => n + sender.refused.length, 0);
    await until(() => refused() >= 10, 'sends to be refused while Postgres is down');
    await delay(2000);
    await pg.restart();
    const ackedAtRestart = s.acked();
    await until(() => s.acked() >= ackedAtRestart + 100, '100 messages acknowledged after Postgres returned', 30_000);
    stop = true;
    await sending;
    const counts = await s.settle();
    const codes = [...new Set(s.senders.flatMap((sender) => sender.refused.map((r) => r.code)))];
    report('Postgres outage', { ...counts, refusalCodes: codes.join(',') });
    expect(counts.refused).toBeGreaterThan(0);
    expect(codes).toEqual(['unavailable']);
    expectNothingLost(counts);
  });

  it('4. SIGTERM under load: the replica drains within the window, exits 0, nothing is lost', async () => {
    const s = await scenario(4, 4);
    let stop = false;
    const sending = Promise.all(s.senders.map((sender) => sender.run(100_000, { pauseMs: 5, shouldStop: () => stop })));
    await until(() => s.acked() >= 150, '150 acknowledged messages');
    const startedAt = Date.now();
    const exited = chatA.terminate();
    await until(async () => (await chatA.readyStatus()) === 503, 'the draining replica to report not ready', 2000, 20);
    const { code, signal } = await exited;
    const drainMs = Date.now() - startedAt;
    const ackedAtExit = s.acked();
    await until(() => s.acked() >= ackedAtExit + 150, '150 more messages acknowledged by the remaining replica');
    stop = true;
    await sending;
    const counts = await s.settle();
    const serviceRestartCloses = s.readers.reduce((n, r) => n + r.closeCodes.filter((c) => c === 1012).length, 0);
    report('SIGTERM drain of chat-server A', { ...counts, exitCode: code, drainMs, closedWith1012: serviceRestartCloses });
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(drainMs).toBeLessThan(DRAIN_WINDOW_MS + 2000);
    expect(serviceRestartCloses).toBeGreaterThan(0);
    expectNothingLost(counts);
    await chatA.start();
  });

  it('5. a subscriber that stops reading is cut off at the send-buffer bound; a healthy one gets everything', async () => {
    const [sender, healthyUser, slowUser] = [await signup(api.url, 'sender'), await signup(api.url, 'healthy'), await signup(api.url, 'slow')];
    const roomId = await roomWith(api.url, [sender, healthyUser, slowUser]);
    const slow = await openStomp(chatA.wsUrl, slowUser.token);
    await new Promise<void>((resolve) => {
      slow.client.watchForReceipt('slow', () => resolve());
      slow.client.subscribe(`/topic/rooms/${roomId}`, () => {}, { receipt: 'slow' });
    });
    const healthy = new RoomReader('healthy', () => [chatA.wsUrl], healthyUser.token, roomId, 0);
    const writer = new Sender('big', () => [chatB.wsUrl], sender.token, roomId, 0);
    running.push(healthy, writer);
    await Promise.all([healthy.start(), writer.start()]);
    const metric = async () => Number(/^chorus_slow_consumer_disconnects_total\{[^}]*\} (\d+)/m.exec(await (await fetch(`${chatA.url}/metrics`)).text())?.[1] ?? 0);
    const cutBefore = await metric();
    // Stop reading: the kernel buffers fill up, then the server-side send buffer grows.
    (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const big = 'x'.repeat(48_000);
    await writer.run(400, { text: (i) => `${i} ${big}` });
    const stored = await lastSeqOf(api.url, roomId, sender.token);
    await until(() => healthy.lastSeq >= stored, 'the healthy subscriber to receive everything');
    await until(async () => (await metric()) > cutBefore, 'the slow consumer to be cut off');
    (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    const closeCode = await slow.closed;
    await Promise.all([healthy.stop(), writer.stop()]);
    const counts = countDeliveries([writer], [healthy], stored);
    report('slow consumer', { ...counts, slowConsumerCutOffs: (await metric()) - cutBefore, slowCloseCode: closeCode, bytesPerMessage: big.length });
    expect((await metric()) - cutBefore).toBe(1);
    expect([4008, 1006]).toContain(closeCode);
    expectNothingLost(counts);
  });

  it('6. presence: the users of a killed replica go offline within the TTL bound', async () => {
    const [watcher, victim] = [await signup(api.url, 'watcher'), await signup(api.url, 'victim')];
    const roomId = await roomWith(api.url, [watcher, victim]);
    const events: { user: { id: string }; online: boolean; at: number }[] = [];
    const observer = await openStomp(chatB.wsUrl, watcher.token);
    await new Promise<void>((resolve) => {
      observer.client.watchForReceipt('p', () => resolve());
      observer.client.subscribe(`/topic/rooms/${roomId}/presence`, (frame) => events.push({ ...(JSON.parse(frame.body) as { user: { id: string }; online: boolean }), at: Date.now() }), {
        receipt: 'p',
      });
    });
    const onA = await openStomp(chatA.wsUrl, victim.token);
    onA.client.subscribe(`/topic/rooms/${roomId}`, () => {});
    await until(() => events.some((e) => e.user.id === victim.id && e.online), 'the victim to come online');
    const online = async () => (await rest<{ online: { id: string }[] }>(api.url, 'GET', `/api/rooms/${roomId}/presence`, watcher.token)).body.online.map((u) => u.id);
    expect(await online()).toContain(victim.id);

    const killedAt = Date.now();
    await chatA.kill();
    const bound = PRESENCE_TTL_MS + PRESENCE_TTL_MS / 3;
    await until(() => events.some((e) => e.user.id === victim.id && !e.online), 'the victim to go offline', bound + 5000);
    const offlineAfterMs = events.find((e) => e.user.id === victim.id && !e.online)!.at - killedAt;
    const stillListed = (await online()).includes(victim.id);
    report('presence after kill -9', { ttlMs: PRESENCE_TTL_MS, boundMs: bound, offlineAfterMs, stillListed });
    await observer.client.deactivate();
    // TTL after the last refresh, plus up to one sweep period; 1 s of slack for process scheduling.
    expect(offlineAfterMs).toBeLessThanOrEqual(bound + 1000);
    expect(stillListed).toBe(false);
    await chatA.start();
  });
});
