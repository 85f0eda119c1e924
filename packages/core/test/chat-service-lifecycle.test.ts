import { randomBytes, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBroker } from '../src/broker/memory-broker.js';
import { topics } from '../src/broker/topics.js';
import type { Message, User } from '../src/domain/types.js';
import { ChorusError } from '../src/errors.js';
import { ChatService } from '../src/messaging/chat-service.js';
import { createMetrics } from '../src/observability/metrics.js';
import type { SqlStore } from '../src/store/sql-store.js';
import { createTestStore, storeBackends, type TestStore } from '../src/testing/index.js';

const tag = () => randomBytes(5).toString('hex');

function expectError(promise: Promise<unknown>, code: string, message?: string) {
  return expect(promise).rejects.toSatisfy((err: unknown) => {
    if (!(err instanceof ChorusError) || err.code !== code || (message !== undefined && err.message !== message)) throw err;
    return true;
  });
}

// Who may edit and delete, and that the events are published like messages.
describe.each(storeBackends())('message edit and delete rules (%s)', (backend) => {
  let t: TestStore;
  let store: SqlStore;
  let broker: MemoryBroker;
  let chat: ChatService;

  beforeAll(async () => {
    t = await createTestStore(backend);
    store = t.store;
    broker = new MemoryBroker();
    chat = new ChatService({ store, broker, metrics: createMetrics('test'), logger: pino({ level: 'silent' }), maxMessageLength: 100, messageEditWindowSeconds: 60 });
  });
  afterAll(async () => {
    await broker?.close();
    await t?.cleanup();
  });

  const newUser = async (): Promise<User> => {
    const name = `u_${tag()}`;
    return store.createUser({ username: name, email: `${name}@example.test`, passwordHash: 'x' });
  };
  const actor = (u: User) => ({ id: u.id, username: u.username });
  async function setup() {
    const owner = await newUser();
    const member = await newUser();
    const outsider = await newUser();
    const room = await store.createRoom({ name: `room ${tag()}`, private: false, createdBy: owner.id });
    await store.addMember(room.id, member.id);
    return { owner, member, outsider, room };
  }

  it('lets the sender edit within the window and publishes the edit with the next seq', async () => {
    const { member, room } = await setup();
    const published: Message[] = [];
    const off = await broker.subscribe(topics.room(room.id), (payload) => published.push(JSON.parse(payload) as Message));
    const message = await chat.send(actor(member), room.id, 'helo', 'http');
    const edit = await chat.editMessage(actor(member), room.id, message.id, 'hello', 'http');
    expect(edit).toMatchObject({ type: 'edit', seq: message.seq + 1, targetId: message.id, text: 'hello' });
    await expect.poll(() => published.map((m) => m.type)).toEqual(['text', 'edit']);
    expect((await chat.history(actor(member), room.id, { after: message.seq - 1, limit: 1 }))[0]).toMatchObject({ text: 'hello', editedAt: expect.any(String) });
    await off();
  });

  it('refuses edits by others, after the window, of non-text entries, with bad text, and from non-members', async () => {
    const { owner, member, outsider, room } = await setup();
    const message = await chat.send(actor(member), room.id, 'mine', 'http');
    await expectError(chat.editMessage(actor(owner), room.id, message.id, 'x', 'http'), 'forbidden', 'only the sender may edit a message');
    await expectError(chat.editMessage(actor(outsider), room.id, message.id, 'x', 'http'), 'forbidden', 'not a member of this room');
    await expectError(chat.editMessage(actor(member), room.id, randomUUID(), 'x', 'http'), 'not_found', 'message not found');
    await expectError(chat.editMessage(actor(member), room.id, 42, 'x', 'http'), 'bad_request');
    await expectError(chat.editMessage(actor(member), room.id, message.id, '', 'http'), 'bad_request');
    await expectError(chat.editMessage(actor(member), room.id, message.id, 'x'.repeat(101), 'http'), 'payload_too_large');
    const [join] = await store.listMessages(room.id, { after: 0, limit: 1 });
    await expectError(chat.editMessage(actor(member), room.id, join!.id, 'x', 'http'), 'not_found', 'message not found');
    await t.db.query("UPDATE messages SET created_at = now() - interval '61 seconds' WHERE id = $1", [message.id]);
    await expectError(chat.editMessage(actor(member), room.id, message.id, 'late', 'http'), 'forbidden', 'the edit window of this message has passed');
    expect(await store.lastSeq(room.id)).toBe(message.seq);
  });

  it("lets the sender and the room's creator delete, nobody else, and only once", async () => {
    const { owner, member, room } = await setup();
    const other = await newUser();
    await store.addMember(room.id, other.id);
    const a = await chat.send(actor(member), room.id, 'a', 'http');
    const b = await chat.send(actor(member), room.id, 'b', 'http');
    await expectError(chat.deleteMessage(actor(other), room.id, a.id, 'http'), 'forbidden');
    expect(await chat.deleteMessage(actor(member), room.id, a.id, 'http')).toMatchObject({ type: 'delete', targetId: a.id, sender: { id: member.id } });
    expect(await chat.deleteMessage(actor(owner), room.id, b.id, 'http')).toMatchObject({ type: 'delete', targetId: b.id, sender: { id: owner.id } });
    await expectError(chat.deleteMessage(actor(member), room.id, a.id, 'http'), 'conflict', 'message was deleted');
    await expectError(chat.editMessage(actor(member), room.id, b.id, 'x', 'http'), 'conflict', 'message was deleted');
    const history = await chat.history(actor(member), room.id, { limit: 10 });
    expect(history.filter((m) => m.deleted).map((m) => m.id)).toEqual([a.id, b.id]);
  });

  it('sends replies to text messages of the same room only, for members only', async () => {
    const { owner, member, outsider, room } = await setup();
    const other = await store.createRoom({ name: `room ${tag()}`, private: false, createdBy: owner.id });
    const question = await chat.send(actor(owner), room.id, 'why?', 'http');
    const elsewhere = await chat.send(actor(owner), other.id, 'elsewhere', 'http');
    const reply = await chat.send(actor(member), room.id, { text: 'because', replyTo: question.id }, 'stomp');
    expect(reply.replyTo).toEqual({ id: question.id, sender: { id: owner.id, username: owner.username }, text: 'why?' });
    await expectError(chat.send(actor(member), room.id, { text: 'x', replyTo: elsewhere.id }, 'http'), 'not_found');
    await expectError(chat.send(actor(member), room.id, { text: 'x', replyTo: 'nope' }, 'http'), 'bad_request', 'replyTo must be a message id');
    await expectError(chat.send(actor(outsider), room.id, { text: 'x', replyTo: question.id }, 'http'), 'forbidden', 'not a member of this room');
    await chat.deleteMessage(actor(owner), room.id, question.id, 'http');
    await expectError(chat.send(actor(member), room.id, { text: 'x', replyTo: question.id }, 'http'), 'conflict');
    const [shown] = await chat.history(actor(member), room.id, { after: reply.seq - 1, limit: 1 });
    expect(shown!.replyTo).toMatchObject({ id: question.id, deleted: true, text: '' });
  });
});

