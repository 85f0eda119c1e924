import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { topics } from '../src/broker/topics.js';
import type { Message } from '../src/domain/types.js';
import { storeBackends } from '../src/testing/index.js';
import { actor, expectChorusError, tag, useChatFixture } from './support/chat-fixture.js';

// Who may edit and delete, and that the events are published like messages.
describe.each(storeBackends())('message edit and delete rules (%s)', (backend) => {
  const fx = useChatFixture(backend, { messageEditWindowSeconds: 60 });

  const { newUser } = fx;
  async function setup() {
    const owner = await newUser();
    const member = await newUser();
    const outsider = await newUser();
    const room = await fx.store.createRoom({ name: `room ${tag()}`, private: false, createdBy: owner.id });
    await fx.store.addMember(room.id, member.id);
    return { owner, member, outsider, room };
  }

  it('lets the sender edit within the window and publishes the edit with the next seq', async () => {
    const { member, room } = await setup();
    const published: Message[] = [];
    const off = await fx.broker.subscribe(topics.room(room.id), (payload) => published.push(JSON.parse(payload) as Message));
    const message = await fx.chat.send(actor(member), room.id, 'helo', 'http');
    const edit = await fx.chat.editMessage(actor(member), room.id, message.id, 'hello', 'http');
    expect(edit).toMatchObject({ type: 'edit', seq: message.seq + 1, targetId: message.id, text: 'hello' });
    await expect.poll(() => published.map((m) => m.type)).toEqual(['text', 'edit']);
    expect((await fx.chat.history(actor(member), room.id, { after: message.seq - 1, limit: 1 }))[0]).toMatchObject({ text: 'hello', editedAt: expect.any(String) });
    await off();
  });

  it('refuses edits by others, after the window, of non-text entries, with bad text, and from non-members', async () => {
    const { owner, member, outsider, room } = await setup();
    const message = await fx.chat.send(actor(member), room.id, 'mine', 'http');
    await expectChorusError(fx.chat.editMessage(actor(owner), room.id, message.id, 'x', 'http'), 'forbidden', 'only the sender may edit a message');
    await expectChorusError(fx.chat.editMessage(actor(outsider), room.id, message.id, 'x', 'http'), 'forbidden', 'not a member of this room');
    await expectChorusError(fx.chat.editMessage(actor(member), room.id, randomUUID(), 'x', 'http'), 'not_found', 'message not found');
    await expectChorusError(fx.chat.editMessage(actor(member), room.id, 42, 'x', 'http'), 'bad_request');
    await expectChorusError(fx.chat.editMessage(actor(member), room.id, message.id, '', 'http'), 'bad_request');
    await expectChorusError(fx.chat.editMessage(actor(member), room.id, message.id, 'x'.repeat(101), 'http'), 'payload_too_large');
    const [join] = await fx.store.listMessages(room.id, { after: 0, limit: 1 });
    await expectChorusError(fx.chat.editMessage(actor(member), room.id, join!.id, 'x', 'http'), 'not_found', 'message not found');
    await fx.db.query("UPDATE messages SET created_at = now() - interval '61 seconds' WHERE id = $1", [message.id]);
    await expectChorusError(fx.chat.editMessage(actor(member), room.id, message.id, 'late', 'http'), 'forbidden', 'the edit window of this message has passed');
    expect(await fx.store.lastSeq(room.id)).toBe(message.seq);
  });

  it("lets the sender and the room's creator delete, nobody else, and only once", async () => {
    const { owner, member, room } = await setup();
    const other = await newUser();
    await fx.store.addMember(room.id, other.id);
    const a = await fx.chat.send(actor(member), room.id, 'a', 'http');
    const b = await fx.chat.send(actor(member), room.id, 'b', 'http');
    await expectChorusError(fx.chat.deleteMessage(actor(other), room.id, a.id, 'http'), 'forbidden');
    expect(await fx.chat.deleteMessage(actor(member), room.id, a.id, 'http')).toMatchObject({ type: 'delete', targetId: a.id, sender: { id: member.id } });
    expect(await fx.chat.deleteMessage(actor(owner), room.id, b.id, 'http')).toMatchObject({ type: 'delete', targetId: b.id, sender: { id: owner.id } });
    await expectChorusError(fx.chat.deleteMessage(actor(member), room.id, a.id, 'http'), 'conflict', 'message was deleted');
    await expectChorusError(fx.chat.editMessage(actor(member), room.id, b.id, 'x', 'http'), 'conflict', 'message was deleted');
    const history = await fx.chat.history(actor(member), room.id, { limit: 10 });
    expect(history.filter((m) => m.deleted).map((m) => m.id)).toEqual([a.id, b.id]);
  });

  it('sends replies to text messages of the same room only, for members only', async () => {
    const { owner, member, outsider, room } = await setup();
    const other = await fx.store.createRoom({ name: `room ${tag()}`, private: false, createdBy: owner.id });
    const question = await fx.chat.send(actor(owner), room.id, 'why?', 'http');
    const elsewhere = await fx.chat.send(actor(owner), other.id, 'elsewhere', 'http');
    const reply = await fx.chat.send(actor(member), room.id, { text: 'because', replyTo: question.id }, 'stomp');
    expect(reply.replyTo).toEqual({ id: question.id, sender: { id: owner.id, username: owner.username }, text: 'why?' });
    await expectChorusError(fx.chat.send(actor(member), room.id, { text: 'x', replyTo: elsewhere.id }, 'http'), 'not_found');
    await expectChorusError(fx.chat.send(actor(member), room.id, { text: 'x', replyTo: 'nope' }, 'http'), 'bad_request', 'replyTo must be a message id');
    await expectChorusError(fx.chat.send(actor(outsider), room.id, { text: 'x', replyTo: question.id }, 'http'), 'forbidden', 'not a member of this room');
    await fx.chat.deleteMessage(actor(owner), room.id, question.id, 'http');
    await expectChorusError(fx.chat.send(actor(member), room.id, { text: 'x', replyTo: question.id }, 'http'), 'conflict');
    const [shown] = await fx.chat.history(actor(member), room.id, { after: reply.seq - 1, limit: 1 });
    expect(shown!.replyTo).toMatchObject({ id: question.id, deleted: true, text: '' });
  });
});

