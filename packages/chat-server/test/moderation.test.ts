import { beforeAll, describe, expect, it } from 'vitest';
import { ModerationService } from '@chorus/core';
import { roomSendDestination } from '@chorus/protocol';
import type { Harness, Replica, TestUser } from './support/harness.js';
import { sendWithReceipt, subscribeInbox, subscribeWithReceipt, type Inbox } from './support/stomp-clients.js';
import { useTwoReplicas } from './support/two-replicas.js';

interface Refusal {
  code: string;
  message: string;
  destination?: string;
  receiptId?: string;
  retryAfter?: number;
}

/**
 * Moderation over STOMP: a kicked, banned or deleted-room user's subscriptions end at once on
 * every replica, and every send restriction (timeout, slow mode, announcement, ban, kick) holds
 * for STOMP SEND as for REST. Two replicas share one store and talk through Redis.
 */
describe('room moderation over STOMP', () => {
  const replicas = useTwoReplicas();
  const { connect } = replicas;
  let h: Harness;
  let b: Replica;
  let moderation: ModerationService;
  let owner: TestUser;
  let mod: TestUser;
  let bob: TestUser;
  const errorsOf = (inbox: Inbox) => inbox.messages as unknown as Refusal[];

  beforeAll(async () => {
    ({ h, b } = replicas);
    // The REST api's service, over replica A's ChatService (its publishes reach B through Redis).
    moderation = new ModerationService(h.store, h.chat);
    owner = await h.createUser('owner');
    mod = await h.createUser('mod');
    bob = await h.createUser('bob');
  });

  async function room(options: { private?: boolean } = {}) {
    const r = await h.createRoom(owner, options);
    await h.chat.addMember(owner, r.id, mod.id);
    await h.chat.addMember(owner, r.id, bob.id);
    await moderation.setRole(owner, r.id, mod.id, 'moderator');
    return r;
  }

  /** Bob on both replicas: room, typing and presence on B, the room on A; errors on both. */
  async function bobEverywhere(roomId: string) {
    const topic = `/topic/rooms/${roomId}`;
    const onB = await connect(b.url, bob);
    const errorsB = await subscribeWithReceipt(onB, '/user/queue/errors');
    await subscribeWithReceipt(onB, topic);
    await subscribeWithReceipt(onB, `${topic}/typing`);
    await subscribeWithReceipt(onB, `${topic}/presence`);
    await subscribeWithReceipt(onB, `${topic}/settings`);
    const onA = await connect(h.url, bob);
    const errorsA = await subscribeWithReceipt(onA, '/user/queue/errors');
    await subscribeWithReceipt(onA, topic);
    return { onA, onB, errorsA, errorsB, topic };
  }

  for (const action of ['kick', 'ban'] as const) {
    it(`a ${action} ends the user's subscriptions on every replica, and their SENDs are refused`, async () => {
      const r = await room();
      const bobs = await bobEverywhere(r.id);
      await moderation[action](mod, r.id, bob.id);
      // Every room-scoped subscription ends, on both replicas, with a forbidden refusal naming the room.
      await bobs.errorsB.waitFor(1);
      await bobs.errorsA.waitFor(1);
      for (const inbox of [bobs.errorsA, bobs.errorsB]) expect(errorsOf(inbox)[0]).toMatchObject({ code: 'forbidden', destination: bobs.topic });
      // Nothing more reaches bob: the owner's next message goes to the others only.
      const ownerSub = await subscribeWithReceipt(await connect(h.url, owner), bobs.topic);
      await sendWithReceipt(await connect(b.url, mod), roomSendDestination(r.id), 'after');
      await ownerSub.waitFor(1);
      // Bob's SEND on either replica is refused and stores nothing.
      const before = await h.store.lastSeq(r.id);
      bobs.onB.publish({ destination: roomSendDestination(r.id), body: 'let me back', headers: { receipt: 'x1' } });
      await bobs.errorsB.waitFor(2);
      expect(errorsOf(bobs.errorsB)[1]).toMatchObject({ code: 'forbidden', receiptId: 'x1' });
      expect(await h.store.lastSeq(r.id)).toBe(before);
      if (action === 'ban') await expect(h.chat.join(bob, r.id)).rejects.toMatchObject({ code: 'forbidden' });
      else await h.chat.join(bob, r.id);
    });
  }

  it('timeouts, slow mode and announcement rooms hold for STOMP SEND (rate_limited and forbidden with retryAfter)', async () => {
    const r = await room();
    const bobB = await connect(b.url, bob);
    const errors = await subscribeWithReceipt(bobB, '/user/queue/errors');
    const send = async (body: string, receipt: string, count: number): Promise<Refusal> => {
      bobB.publish({ destination: roomSendDestination(r.id), body, headers: { receipt } });
      await errors.waitFor(count);
      return errorsOf(errors)[count - 1]!;
    };

    await moderation.updateSettings(mod, r.id, { slowModeSeconds: 60 });
    await sendWithReceipt(bobB, roomSendDestination(r.id), 'first');
    const slow = await send('second', 's2', 1);
    expect(slow).toMatchObject({ code: 'rate_limited', receiptId: 's2' });
    expect(slow.retryAfter).toBeGreaterThanOrEqual(58);
    await moderation.updateSettings(mod, r.id, { slowModeSeconds: 0 });

    await moderation.timeout(mod, r.id, bob.id, 3);
    const timedOut = await send('hello?', 't1', 2);
    expect(timedOut).toMatchObject({ code: 'forbidden', receiptId: 't1', message: expect.stringMatching(/timed out/) });
    expect(timedOut.retryAfter).toBeGreaterThan(170);
    await moderation.timeout(mod, r.id, bob.id, 0);
    await sendWithReceipt(bobB, roomSendDestination(r.id), 'back');

    await moderation.updateSettings(owner, r.id, { announcement: true });
    expect(await send('may I?', 'a1', 3)).toMatchObject({ code: 'forbidden', receiptId: 'a1', message: expect.stringMatching(/announcement/) });
    // Moderators post; bob reads.
    const bobRoom = await subscribeWithReceipt(bobB, `/topic/rooms/${r.id}`);
    await sendWithReceipt(await connect(h.url, mod), roomSendDestination(r.id), 'news');
    expect((await bobRoom.waitFor(1)).at(-1)).toMatchObject({ text: 'news', sender: { id: mod.id } });
  });

  it('settings changes reach every member subscribed to /settings, on every replica, in order', async () => {
    const r = await room({ private: true });
    const settingsTopic = `/topic/rooms/${r.id}/settings`;
    const onB = await subscribeWithReceipt(await connect(b.url, bob), settingsTopic);
    const onA = await subscribeWithReceipt(await connect(h.url, mod), settingsTopic);
    await moderation.updateSettings(owner, r.id, { name: 'renamed', topic: 'today: release' });
    await moderation.updateSettings(mod, r.id, { slowModeSeconds: 30 });
    await moderation.updateSettings(owner, r.id, { announcement: true });
    for (const inbox of [onA, onB]) {
      const events = (await inbox.waitFor(3)) as unknown as Array<{ type: string; roomId: string; settings: Record<string, unknown> }>;
      expect(events.map((e) => [e.type, e.roomId])).toEqual(Array(3).fill(['settings', r.id]));
      expect(events[0]!.settings).toEqual({ roomId: r.id, name: 'renamed', topic: 'today: release', announcement: false, slowModeSeconds: 0, version: 1 });
      expect(events.map((e) => e.settings['version'])).toEqual([1, 2, 3]);
      expect(events[1]!.settings).toMatchObject({ slowModeSeconds: 30, announcement: false });
      expect(events[2]!.settings).toMatchObject({ slowModeSeconds: 30, announcement: true, name: 'renamed' });
      expect(inbox.frames.every((f) => f.headers['destination'] === settingsTopic)).toBe(true);
    }
    // A refused change publishes nothing: its topic would be the fourth event otherwise.
    await expect(moderation.updateSettings(bob, r.id, { topic: 'mine now' })).rejects.toMatchObject({ code: 'forbidden' });
    await moderation.updateSettings(owner, r.id, { topic: 'last' });
    expect(((await onB.waitFor(4)) as unknown as Array<{ settings: { topic: string } }>)[3]!.settings.topic).toBe('last');
  });

  it('a role change or timeout reaches the member as an update of the room on /user/queue/unread, on another replica', async () => {
    const r = await room();
    const unread = await subscribeWithReceipt(await connect(b.url, bob), '/user/queue/unread');
    await moderation.setRole(owner, r.id, bob.id, 'moderator');
    expect(((await unread.waitFor(1)) as unknown as Array<{ roomId: string }>)[0]).toMatchObject({ roomId: r.id, unread: expect.any(Number) });
    await moderation.setRole(owner, r.id, bob.id, 'member');
    expect(((await unread.waitFor(2)) as unknown as Array<{ roomId: string }>)[1]).toMatchObject({ roomId: r.id });
    await moderation.timeout(mod, r.id, bob.id, 5);
    expect(((await unread.waitFor(3)) as unknown as Array<{ roomId: string }>)[2]).toMatchObject({ roomId: r.id });
  });

  it('deleting a room ends every member subscription on every replica', async () => {
    const r = await room({ private: true });
    const bobs = await bobEverywhere(r.id);
    const modB = await connect(b.url, mod);
    const modErrors = subscribeInbox(modB, '/user/queue/errors');
    await subscribeWithReceipt(modB, `/topic/rooms/${r.id}`);
    await moderation.deleteRoom(owner, r.id);
    await bobs.errorsA.waitFor(1);
    await bobs.errorsB.waitFor(1);
    await modErrors.waitFor(1);
    for (const inbox of [bobs.errorsA, bobs.errorsB, modErrors]) expect(errorsOf(inbox)[0]).toMatchObject({ code: 'forbidden', destination: bobs.topic });
    bobs.onA.publish({ destination: roomSendDestination(r.id), body: 'anyone?', headers: { receipt: 'd1' } });
    await bobs.errorsA.waitFor(2);
    expect(errorsOf(bobs.errorsA)[1]).toMatchObject({ code: 'not_found', receiptId: 'd1' });
  });
});
