import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { attachmentKey, MemoryPresence, type Metrics, type SqlPushQueue } from '@chorus/core';
import { createTestStore, storeBackends, type TestStore } from '@chorus/core/testing';
import { FcmPushSender } from '../src/fcm-sender.js';
import { presenceOnlineChecker } from '../src/online.js';
import { PushWorker, type PushWorkerOptions } from '../src/push-worker.js';
import type { FakeFcm } from './support/fake-fcm.js';
import { eventually, newMetrics, newQueue, sentCount, silentLogger, startFakeFcm, World } from './support/world.js';

/**
 * The worker with the real firebase-admin against the local FCM stand-in, over a real
 * store (PGlite, and Postgres when DATABASE_URL is set).
 */
describe.each(storeBackends())('push worker through firebase-admin (%s)', (kind) => {
  let t: TestStore;
  let world: World;
  let queue: SqlPushQueue;
  let fcm: FakeFcm;
  let restore: () => Promise<void>;
  let sender: FcmPushSender;
  let metrics: Metrics;
  const presence = new MemoryPresence({ ttlMs: 600_000 });
  const running: PushWorker[] = [];

  beforeAll(async () => {
    t = await createTestStore(kind);
    world = new World(t.store);
    queue = newQueue(t.store);
    ({ fcm, restore } = await startFakeFcm());
    sender = new FcmPushSender({ credential: { serviceAccount: fcm.serviceAccount() }, httpAgent: fcm.agent(), transport: 'http1', logger: silentLogger });
  });

  afterAll(async () => {
    await Promise.all(running.map((w) => w.stop()));
    await sender?.close();
    await restore?.();
    await presence.close();
    await t?.cleanup();
  });

  beforeEach(() => {
    fcm.reset();
    metrics = newMetrics();
  });

  function worker(options: Partial<PushWorkerOptions> = {}): PushWorker {
    return new PushWorker({
      queue,
      store: t.store,
      sender,
      online: presenceOnlineChecker(presence),
      logger: silentLogger,
      metrics,
      previews: true,
      pollMs: 20,
      batchRooms: 20,
      leaseMs: 30_000,
      maxAttempts: 3,
      backoff: { baseMs: 20, maxMs: 200 },
      ...options,
    });
  }

  /** Runs a worker loop until `done`, then stops it. */
  async function runUntil(w: PushWorker, done: () => Promise<boolean>, label: string): Promise<void> {
    running.push(w);
    w.start();
    try {
      await eventually(done, 20_000, label);
    } finally {
      await w.stop();
    }
  }

  it('notifies exactly the offline member, once per device, collapsed per room', async () => {
    const sender_ = await world.user('sally', ['android']);
    const online = await world.user('olive', ['android']);
    const offline = await world.user('oscar', ['android', 'ios']);
    const muted = await world.user('mute', ['web']);
    const room = await world.room(sender_, [online, offline, muted]);
    await presence.join(room.id, 'conn-olive', { id: online.id, username: online.username });
    await t.store.muteRoom(room.id, muted.id, null);

    const messages = await world.say(room, sender_, 'first', 'second', 'third\nline');
    const summary = await worker().runOnce();

    expect(summary).toMatchObject({ claims: 1, sent: 2, acked: 3, retried: 0, dead: 0 });
    expect(fcm.sends.map((s) => s.message.token).sort()).toEqual([...offline.tokens].sort());
    const newest = messages[2]!;
    for (const send of fcm.sends) {
      expect(send.path).toBe('/v1/projects/chorus-test/messages:send');
      expect(send.host).toBe('fcm.googleapis.com');
      expect(send.authorization).toMatch(/^Bearer ya29\.test-/);
      expect(send.clientEmail).toBeDefined();
      expect(send.message).toMatchObject({
        notification: { title: room.name, body: `3 new messages · ${sender_.username}: third line` },
        data: {
          type: 'chorus.message',
          roomId: room.id,
          roomName: room.name,
          messageId: newest.id,
          seq: String(newest.seq),
          sender: sender_.username,
          unread: '3',
          count: '3',
        },
        android: { collapse_key: `room-${room.id}`, notification: { tag: `room-${room.id}` } },
        apns: { headers: { 'apns-collapse-id': `room-${room.id}` } },
        webpush: { notification: { tag: `room-${room.id}` } },
      });
    }
    expect(fcm.tokenExchanges.every((x) => x.signatureValid && x.grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer')).toBe(true);
    expect(await sentCount(metrics, { platform: 'android', result: 'sent' })).toBe(1);
    expect(await sentCount(metrics, { platform: 'ios', result: 'sent' })).toBe(1);
    expect((await metrics.pushLatency.get()).values.find((v) => v.metricName === 'chorus_push_latency_seconds_count')?.value).toBe(3);

    // Nothing left: another round sends nothing.
    expect(await queue.depth()).toBe(0);
    expect((await worker().runOnce()).claims).toBe(0);
    expect(fcm.sends).toHaveLength(2);
  });

  it('notifies a member who muted the room of the messages mentioning them only, per their setting', async () => {
    const sender_ = await world.user('sal', []);
    const muted = await world.user('mia', ['android']);
    const optedOut = await world.user('otto', ['android']);
    const room = await world.room(sender_, [muted, optedOut]);
    for (const u of [muted, optedOut]) await t.store.muteRoom(room.id, u.id, null);
    await t.store.updateUserSettings(optedOut.id, { notifyMentionsWhenMuted: false });
    // The mentions are read from the message (the outbox row is unchanged).
    const [plain, mention] = await t.store.appendMemberMessages([
      { roomId: room.id, senderId: sender_.id, text: 'plain' },
      { roomId: room.id, senderId: sender_.id, text: `@${muted.username} @${optedOut.username} look`, mentions: [muted.id, optedOut.id] },
    ]);
    expect(plain).toBeTruthy();
    const summary = await worker().runOnce();
    expect(summary).toMatchObject({ claims: 1, sent: 1, acked: 2 });
    expect(fcm.sends.map((s) => s.message.token)).toEqual(muted.tokens);
    expect(fcm.sends[0]!.message.data).toMatchObject({ messageId: mention!.id, count: '1', mention: 'true' });
  });

  it('notifies only the members an edit mentions for the first time, once, muted or not', async () => {
    const sender_ = await world.user('sed', []);
    const plain = await world.user('pat', ['android']);
    const muted = await world.user('mo', ['android']);
    const room = await world.room(sender_, [plain, muted]);
    await t.store.muteRoom(room.id, muted.id, null);
    const [message] = await world.say(room, sender_, 'hello');
    expect((await worker().runOnce()).sent).toBe(1); // pat hears of the message, mo (muted) does not
    fcm.reset();
    const edit = (text: string, mentions: string[]) => t.store.appendLifecycleEvent({ type: 'edit', roomId: room.id, actorId: sender_.id, targetId: message!.id, text, mentions });
    const entry = await edit(`hello @${muted.username}`, [muted.id]);
    expect(await worker().runOnce()).toMatchObject({ claims: 1, sent: 1, acked: 1 });
    // Only mo, for the mention; pat hears nothing of an edit.
    expect(fcm.sends.map((s) => s.message.token)).toEqual(muted.tokens);
    expect(fcm.sends[0]!.message.data).toMatchObject({ seq: String(entry!.seq), mention: 'true', count: '1' });
    fcm.reset();
    // Mentioned again (after an edit that removed the mention): not notified twice.
    await edit('hello', []);
    await edit(`hello @${muted.username} @${plain.username}`, [muted.id, plain.id]);
    expect(await worker().runOnce()).toMatchObject({ claims: 1, sent: 1 });
    expect(fcm.sends.map((s) => s.message.token)).toEqual(plain.tokens);
  });

  it('sends a device token only to the last user who registered it (POST /api/devices moves it)', async () => {
    // The same phone: first alice registers its token, then bob signs in on it and registers it too.
    const sender_ = await world.user('sam', []);
    const alice = await world.user('alice', ['android']);
    const bob = await world.user('bob', []);
    const shared = alice.tokens[0]!;
    await t.store.upsertDevice(bob.id, shared, 'android');
    expect(await t.store.listDevices(alice.id)).toEqual([]);

    // A message for alice alone: the phone now belongs to bob, so nothing is sent to it.
    const alicesRoom = await world.room(sender_, [alice]);
    await world.say(alicesRoom, sender_, 'for alice');
    await worker().runOnce();
    expect(fcm.sends).toHaveLength(0);

    // A message for bob reaches the phone.
    const bobsRoom = await world.room(sender_, [bob]);
    await world.say(bobsRoom, sender_, 'for bob');
    await worker().runOnce();
    expect(fcm.sends.map((s) => [s.message.token, s.message.data?.['roomId']])).toEqual([[shared, bobsRoom.id]]);
  });

  it('asks presence only about rooms where someone could be notified', async () => {
    // Lee has a device (so the message gets a push job) but muted the quiet room: nobody in it
    // can be notified.
    const talker = await world.user('tara');
    const listener = await world.user('lee', ['web']);
    const quiet = await world.room(talker, [listener]);
    await t.store.muteRoom(quiet.id, listener.id, null);
    const sender_ = await world.user('sid', ['android']);
    const offline = await world.user('ophelia', ['ios']);
    const busy = await world.room(sender_, [offline]);
    await world.say(quiet, talker, 'nobody has a device here');
    await world.say(busy, sender_, 'ophelia has one');
    const asked: string[] = [];
    const checker = presenceOnlineChecker(presence);
    const summary = await worker({
      online: { onlineUserIds: (roomId) => (asked.push(roomId), checker.onlineUserIds(roomId)) },
    }).runOnce();
    expect(summary).toMatchObject({ claims: 2, sent: 1, acked: 2 });
    expect(asked).toEqual([busy.id]);
    expect(fcm.sends.map((s) => s.message.token)).toEqual(offline.tokens);
  });

  it('turns a burst of 50 messages into one notification, then updates it', async () => {
    const alice = await world.user('alice');
    const bob = await world.user('bob', ['android']);
    const room = await world.room(alice, [bob]);
    const burst = Array.from({ length: 50 }, (_, i) => `message ${i + 1}`);
    await world.say(room, alice, ...burst);
    await worker().runOnce();
    expect(fcm.sends).toHaveLength(1);
    expect(fcm.sends[0]!.message.notification?.body).toBe(`50 new messages · ${alice.username}: message 50`);

    await world.say(room, alice, 'one more');
    await worker().runOnce();
    expect(fcm.sends).toHaveLength(2);
    expect(fcm.sends[1]!.message.notification?.body).toBe(`51 new messages · ${alice.username}: one more`);
    expect(fcm.sends[1]!.message.android?.collapse_key).toBe(fcm.sends[0]!.message.android?.collapse_key);
  });

  it('leaves the text out when previews are off', async () => {
    const alice = await world.user('alice');
    const bob = await world.user('bob', ['ios']);
    const room = await world.room(alice, [bob]);
    await world.say(room, alice, 'secret plans');
    await worker({ previews: false }).runOnce();
    expect(fcm.sends).toHaveLength(1);
    expect(fcm.sends[0]!.message.notification).toEqual({ title: room.name, body: `New message from ${alice.username}` });
    expect(JSON.stringify(fcm.sends[0]!.message)).not.toContain('secret');
  });

  it('says what was sent for a message of files only: "alice sent a photo", "alice sent 3 files"', async () => {
    const alice = await world.user('alice');
    const bob = await world.user('bob', ['android']);
    const room = await world.room(alice, [bob]);
    const upload = async (contentType: string) => {
      const id = randomUUID();
      await t.store.createAttachment({ id, roomId: room.id, uploaderId: alice.id, name: 'f', contentType, size: 1, objectKey: attachmentKey(room.id, id) });
      return id;
    };
    const send = async (attachments: string[], text = '') =>
      t.store.appendMemberMessages([{ roomId: room.id, senderId: alice.id, text, attachments }]);
    await send([await upload('image/jpeg')]);
    await worker().runOnce();
    expect(fcm.sends.at(-1)!.message.notification?.body).toBe(`${alice.username} sent a photo`);
    await t.store.markRead(room.id, bob.id, 1000);
    await send([await upload('image/png'), await upload('application/pdf'), await upload('image/webp')]);
    await worker().runOnce();
    expect(fcm.sends.at(-1)!.message.notification?.body).toBe(`${alice.username} sent 3 files`);
    await t.store.markRead(room.id, bob.id, 1000);
    await send([await upload('image/png'), await upload('image/png')]);
    await worker().runOnce();
    expect(fcm.sends.at(-1)!.message.notification?.body).toBe(`${alice.username} sent 2 photos`);
    await t.store.markRead(room.id, bob.id, 1000);
    // With text, the text is what shows.
    await send([await upload('image/png')], 'look at this');
    await worker().runOnce();
    expect(fcm.sends.at(-1)!.message.notification?.body).toBe(`${alice.username}: look at this`);
  });

  it('deletes a token FCM reports as UNREGISTERED and still sends to the others', async () => {
    const alice = await world.user('alice');
    const bob = await world.user('bob', ['android', 'android']);
    const [dead, alive] = bob.tokens as [string, string];
    const room = await world.room(alice, [bob]);
    fcm.script = (send) => (send.message.token === dead ? { status: 404 } : { status: 200 });
    await world.say(room, alice, 'hello');
    const summary = await worker().runOnce();
    expect(summary).toMatchObject({ sent: 1, acked: 1 });
    expect(fcm.sendsTo(dead).map((s) => s.answeredStatus)).toEqual([404]);
    expect(fcm.sendsTo(alive).map((s) => s.answeredStatus)).toEqual([200]);
    expect((await t.store.listDevices(bob.id)).map((d) => d.token)).toEqual([alive]);
    expect(await sentCount(metrics, { platform: 'android', result: 'invalid_token' })).toBe(1);

    await world.say(room, alice, 'again');
    await worker().runOnce();
    expect(fcm.sendsTo(dead)).toHaveLength(1);
    expect(fcm.sendsTo(alive)).toHaveLength(2);
  });

  it('retries a 429 no earlier than its Retry-After, then sends', async () => {
    const alice = await world.user('alice');
    const bob = await world.user('bob', ['android']);
    const room = await world.room(alice, [bob]);
    fcm.script = (_send, previous) => (previous === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 });
    await world.say(room, alice, 'quota');
    await runUntil(worker(), async () => fcm.accepted.length === 1 && (await queue.depth()) === 0, 'sent after 429');
    const sends = fcm.sendsTo(bob.tokens[0]!);
    expect(sends.map((s) => s.answeredStatus)).toEqual([429, 200]);
    expect(sends[1]!.message.android?.collapse_key).toBe(sends[0]!.message.android?.collapse_key);
    expect(await sentCount(metrics, { platform: 'android', result: 'retry' })).toBe(1);
    expect(await sentCount(metrics, { platform: 'android', result: 'sent' })).toBe(1);
  });

  it('measures the wait before a 429 retry against Retry-After', async () => {
    const alice = await world.user('alice');
    const bob = await world.user('bob', ['web']);
    const room = await world.room(alice, [bob]);
    const at: number[] = [];
    fcm.script = (_send, previous) => {
      at.push(Date.now());
      return previous === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 };
    };
    await world.say(room, alice, 'quota');
    await runUntil(worker({ backoff: { baseMs: 1, maxMs: 1 } }), async () => fcm.accepted.length === 1, 'sent after 429');
    // Back-off alone would retry after ~1 ms; Retry-After: 1 holds it for a second.
    expect(at).toHaveLength(2);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(950);
  });

  it('retries a 503 (firebase-admin honours its Retry-After), then sends', async () => {
    const alice = await world.user('alice');
    const bob = await world.user('bob', ['ios']);
    const room = await world.room(alice, [bob]);
    const at: number[] = [];
    fcm.script = (_send, previous) => {
      at.push(Date.now());
      return previous === 0 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200 };
    };
    await world.say(room, alice, 'unavailable');
    await runUntil(worker(), async () => fcm.accepted.length === 1 && (await queue.depth()) === 0, 'sent after 503');
    expect(fcm.sendsTo(bob.tokens[0]!).map((s) => s.answeredStatus)).toEqual([503, 200]);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(950);
  });

  it('retries only the devices that failed', async () => {
    const alice = await world.user('alice');
    const bob = await world.user('bob', ['android', 'ios']);
    const [flaky, fine] = bob.tokens as [string, string];
    const room = await world.room(alice, [bob]);
    fcm.script = (send, previous) => (send.message.token === flaky && previous === 0 ? { status: 500 } : { status: 200 });
    await world.say(room, alice, 'partly');
    await runUntil(worker(), async () => fcm.accepted.length === 2 && (await queue.depth()) === 0, 'both delivered');
    expect(fcm.sendsTo(flaky).map((s) => s.answeredStatus)).toEqual([500, 200]);
    expect(fcm.sendsTo(fine).map((s) => s.answeredStatus)).toEqual([200]);
  });

  it('dead-letters a job that keeps failing with 500, and replays it', async () => {
    const alice = await world.user('alice');
    const bob = await world.user('bob', ['android']);
    const room = await world.room(alice, [bob]);
    fcm.script = () => ({ status: 500 });
    const [message] = await world.say(room, alice, 'doomed');
    const deadLetter = async () => (await queue.listDeadLetters({ limit: 500 })).find((d) => d.messageId === message!.id);
    await runUntil(worker(), async () => (await deadLetter()) !== undefined, 'dead letter');

    expect(fcm.sendsTo(bob.tokens[0]!).map((s) => s.answeredStatus)).toEqual([500, 500, 500]);
    const dead = (await deadLetter())!;
    expect(dead).toMatchObject({ roomId: room.id, seq: message!.seq, attempts: 3 });
    expect(dead.lastError).toContain('messaging/internal-error');
    expect(await queue.depth()).toBe(0);
    expect(await sentCount(metrics, { platform: 'android', result: 'retry' })).toBe(3);

    fcm.script = () => ({ status: 200 });
    expect(await queue.replay(dead.id)).toBe(true);
    expect(await queue.replay(dead.id)).toBe(false);
    await worker().runOnce();
    expect(fcm.sendsTo(bob.tokens[0]!).map((s) => s.answeredStatus)).toEqual([500, 500, 500, 200]);
    expect(await deadLetter()).toBeUndefined();
    expect(await queue.depth()).toBe(0);
  });

  it('settles the round in flight when stopped', async () => {
    const alice = await world.user('alice');
    const bob = await world.user('bob', ['android']);
    const room = await world.room(alice, [bob]);
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = worker({
      sender: {
        kind: 'fcm',
        send: async (batch) => {
          const results = await sender.send(batch);
          await gate;
          return results;
        },
        close: async () => {},
      },
    });
    await world.say(room, alice, 'in flight');
    running.push(slow);
    slow.start();
    await fcm.waitForSends(1);
    const stopped = slow.stop();
    release();
    await stopped;
    expect(fcm.accepted).toHaveLength(1);
    expect(await queue.depth()).toBe(0);
  });
});
