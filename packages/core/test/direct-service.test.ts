import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../src/broker/topics.js';
import { CANNOT_MESSAGE } from '../src/messaging/direct-rules.js';
import { DirectMessageService, MAX_BLOCKS_PER_USER, USER_SEARCH_MAX_RESULTS } from '../src/messaging/direct-service.js';
import { storeBackends } from '../src/testing/index.js';
import { actor, expectChorusError, tag, useChatFixture } from './support/chat-fixture.js';

// The rules of direct rooms: one room per pair, two members for ever, blocks refuse the blocked sender.
describe.each(storeBackends())('direct messages and blocks (%s)', (backend) => {
  const fx = useChatFixture(backend);
  let dms: DirectMessageService;
  beforeAll(() => {
    dms = new DirectMessageService(fx.store, fx.chat);
  });

  const { newUser } = fx;

  it('opens the same room from either side and tells both users their rooms changed once', async () => {
    const [a, b] = [await newUser(), await newUser()];
    const events: string[] = [];
    const offA = await fx.broker.subscribe(topics.user(a.id), (p) => events.push(`a:${(JSON.parse(p) as { type: string }).type}`));
    const offB = await fx.broker.subscribe(topics.user(b.id), (p) => events.push(`b:${(JSON.parse(p) as { type: string }).type}`));
    const room = await dms.open(actor(a), b.id);
    expect(room).toMatchObject({ kind: 'direct', private: true, memberCount: 2 });
    expect(await dms.open(actor(b), a.id)).toEqual(room);
    await expect.poll(() => events.sort()).toEqual(['a:rooms-changed', 'b:rooms-changed']);
    await offA();
    await offB();
  });

  it('refuses yourself (400) and unknown users (404)', async () => {
    const a = await newUser();
    await expectChorusError(dms.open(actor(a), a.id), 'bad_request');
    await expectChorusError(dms.open(actor(a), randomUUID()), 'not_found', 'user not found');
    await expectChorusError(dms.open(actor(a), 'not-an-id'), 'not_found');
  });

  it('keeps a direct room to its two members: nobody is added, nobody leaves, a third user cannot see or join it', async () => {
    const [a, b, c] = [await newUser(), await newUser(), await newUser()];
    const room = await dms.open(actor(a), b.id);
    await expectChorusError(fx.chat.addMember(actor(a), room.id, c.id), 'forbidden', /exactly two members/);
    await expectChorusError(fx.chat.leave(actor(b), room.id), 'forbidden', /cannot be left/);
    await expectChorusError(fx.chat.join(actor(c), room.id), 'not_found');
    await expectChorusError(fx.chat.history(actor(c), room.id, { limit: 10 }), 'not_found');
    await expectChorusError(fx.chat.send(actor(c), room.id, 'hi', 'http'), 'not_found');
    expect(await fx.store.listMemberIds(room.id)).toEqual([a.id, b.id].sort());
  });

  it('refuses a blocked user new DMs and sends into the existing one with a neutral 403; the blocker still writes', async () => {
    const [a, b] = [await newUser(), await newUser()];
    const room = await dms.open(actor(a), b.id);
    const before = await fx.chat.send(actor(b), room.id, 'before the block', 'http');
    await dms.block(actor(a), b.id);
    await dms.block(actor(a), b.id); // idempotent
    await expectChorusError(fx.chat.send(actor(b), room.id, 'after', 'stomp'), 'forbidden', CANNOT_MESSAGE);
    await expectChorusError(fx.chat.sendMany(actor(b), room.id, ['x', 'y'], 'stomp'), 'forbidden', CANNOT_MESSAGE);
    await expectChorusError(fx.chat.editMessage(actor(b), room.id, before.id, 'edited', 'http'), 'forbidden', CANNOT_MESSAGE);
    await expectChorusError(dms.open(actor(b), a.id), 'forbidden', CANNOT_MESSAGE);
    expect((await fx.chat.send(actor(a), room.id, 'blocker writes', 'http')).text).toBe('blocker writes');
    // A new DM with a third user is not affected.
    const c = await newUser();
    expect((await fx.chat.send(actor(b), (await dms.open(actor(b), c.id)).id, 'hi c', 'http')).text).toBe('hi c');
    await dms.unblock(actor(a), b.id);
    await dms.unblock(actor(a), b.id);
    expect((await fx.chat.send(actor(b), room.id, 'after unblock', 'http')).text).toBe('after unblock');
  });

  it("hides the blocked user's messages from the blocker's DM history only, keeping their seqs", async () => {
    const [a, b] = [await newUser(), await newUser()];
    const room = await dms.open(actor(a), b.id);
    const fromB = await fx.chat.send(actor(b), room.id, 'secret from b', 'http');
    const reply = await fx.chat.send(actor(a), room.id, { text: 'answer', replyTo: fromB.id }, 'http');
    await dms.block(actor(a), b.id);
    const seenByA = await fx.chat.history(actor(a), room.id, { limit: 10 });
    expect(seenByA.map((m) => m.seq)).toEqual([fromB.seq, reply.seq]);
    expect(seenByA[0]).toEqual({ id: fromB.id, roomId: room.id, seq: fromB.seq, type: 'text', sender: fromB.sender, createdAt: fromB.createdAt, text: '', hidden: true });
    expect(seenByA[1]).toMatchObject({ text: 'answer', replyTo: { id: fromB.id, text: '' } });
    expect(seenByA[1]).not.toHaveProperty('hidden');
    const seenByB = await fx.chat.history(actor(b), room.id, { limit: 10 });
    expect(seenByB[0]).toMatchObject({ text: 'secret from b' });
    expect(seenByB[0]).not.toHaveProperty('hidden');
    await dms.unblock(actor(a), b.id);
    expect((await fx.chat.history(actor(a), room.id, { limit: 10 }))[0]?.text).toBe('secret from b');
  });

  it('bounds blocks and validates them', async () => {
    const a = await newUser();
    await expectChorusError(dms.block(actor(a), a.id), 'bad_request');
    await expectChorusError(dms.block(actor(a), randomUUID()), 'not_found');
    await expectChorusError(dms.block(actor(a), 'x'), 'not_found');
    expect(MAX_BLOCKS_PER_USER).toBeGreaterThan(0);
    const b = await newUser('blocked');
    await dms.block(actor(a), b.id);
    expect(await dms.listBlocks(actor(a))).toEqual([{ id: b.id, username: b.username }]);
  });

  it('searches users by prefix, bounded and validated', async () => {
    const a = await newUser();
    const stem = `find${tag()}`;
    const target = await newUser(stem);
    expect(await dms.search(actor(a), stem.toUpperCase())).toEqual([{ id: target.id, username: target.username }]);
    await expectChorusError(dms.search(actor(a), ''), 'bad_request');
    await expectChorusError(dms.search(actor(a), '   '), 'bad_request');
    await expectChorusError(dms.search(actor(a), 'x'.repeat(33)), 'bad_request');
    await expectChorusError(dms.search(actor(a), 'a', USER_SEARCH_MAX_RESULTS + 1), 'bad_request');
  });
});
