import { beforeAll, describe, expect, it } from 'vitest';
import { CANNOT_MESSAGE, DirectMessageService } from '@chorus/core';
import { roomSendDestination } from '@chorus/protocol';
import type { Harness, Replica, TestUser } from './support/harness.js';
import { sendWithReceipt, subscribeInbox, subscribeWithReceipt } from './support/stomp-clients.js';
import { useTwoReplicas } from './support/two-replicas.js';

/**
 * A direct room over STOMP is an ordinary room of its two members (across replicas), closed to a
 * third user, and a blocked member's SEND into it is refused with the neutral message.
 */
describe('direct messages over STOMP', () => {
  const replicas = useTwoReplicas();
  const { connect } = replicas;
  let h: Harness;
  let b: Replica;
  let dms: DirectMessageService;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;

  beforeAll(async () => {
    ({ h, b } = replicas);
    dms = new DirectMessageService(h.store, h.chat);
    [alice, bob, carol] = [await h.createUser('alice'), await h.createUser('bob'), await h.createUser('carol')];
  });

  it('delivers a DM sent over STOMP to the other member on another replica; a third user can neither subscribe nor send', async () => {
    const room = await dms.open(alice, bob.id);
    const aliceA = await connect(h.url, alice);
    const bobB = await connect(b.url, bob);
    const live = await subscribeWithReceipt(bobB, `/topic/rooms/${room.id}`);
    await sendWithReceipt(aliceA, roomSendDestination(room.id), 'hi bob');
    expect((await live.waitFor(1))[0]).toMatchObject({ text: 'hi bob', sender: { id: alice.id }, roomId: room.id });

    const carolA = await connect(h.url, carol);
    const errors = subscribeInbox(carolA, '/user/queue/errors');
    carolA.subscribe(`/topic/rooms/${room.id}`, () => undefined, { receipt: 'c-sub' });
    carolA.publish({ destination: roomSendDestination(room.id), body: 'let me in', headers: { receipt: 'c-send' } });
    const refusals = (await errors.waitFor(2)) as unknown as Array<{ code: string; receiptId: string }>;
    expect(refusals.map((r) => [r.receiptId, r.code]).sort()).toEqual([
      ['c-send', 'not_found'],
      ['c-sub', 'not_found'],
    ]);
    expect(await h.store.lastSeq(room.id)).toBe(1);
  });

  it("refuses a blocked member's SEND with the neutral message and stores nothing; the blocker still writes", async () => {
    const [dan, erin] = [await h.createUser('dan'), await h.createUser('erin')];
    const room = await dms.open(dan, erin.id);
    await dms.block(dan, erin.id);
    const erinB = await connect(b.url, erin);
    const errors = subscribeInbox(erinB, '/user/queue/errors');
    erinB.publish({ destination: roomSendDestination(room.id), body: 'hello?', headers: { receipt: 'blocked' } });
    const [refusal] = (await errors.waitFor(1)) as unknown as Array<{ code: string; receiptId: string; message: string }>;
    expect(refusal).toMatchObject({ receiptId: 'blocked', code: 'forbidden', message: CANNOT_MESSAGE });
    expect(await h.store.lastSeq(room.id)).toBe(0);
    const danA = await connect(h.url, dan);
    await sendWithReceipt(danA, roomSendDestination(room.id), 'I can still write');
    expect(await h.store.lastSeq(room.id)).toBe(1);
  });
});
