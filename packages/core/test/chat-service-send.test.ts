import { randomBytes, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBroker } from '../src/broker/memory-broker.js';
import { topics } from '../src/broker/topics.js';
import type { Room, User } from '../src/domain/types.js';
import { ChorusError } from '../src/errors.js';
import { ChatService } from '../src/messaging/chat-service.js';
import { createMetrics } from '../src/observability/metrics.js';
import type { SqlStore } from '../src/store/sql-store.js';
import { createTestStore, storeBackends, type TestStore } from '../src/testing/index.js';

const tag = () => randomBytes(5).toString('hex');

function expectError(promise: Promise<unknown>, code: string, message: string) {
  return expect(promise).rejects.toSatisfy((err: unknown) => {
    if (!(err instanceof ChorusError) || err.code !== code || err.message !== message) throw err;
    return true;
  });
}

// The send hot path: membership is checked inside the append statement (one query per send).
describe.each(storeBackends())('membership-checked send (%s)', (backend) => {
  let t: TestStore;
  let store: SqlStore;
  let broker: MemoryBroker;
  let chat: ChatService;

  beforeAll(async () => {
    t = await createTestStore(backend);
    store = t.store;
    broker = new MemoryBroker();
    chat = new ChatService({ store, broker, metrics: createMetrics('test'), logger: pino({ level: 'silent' }), maxMessageLength: 100 });
  });
  afterAll(async () => {
    await broker?.close();
    await t?.cleanup();
  });

  const newUser = async (): Promise<User> => {
    const name = `u_${tag()}`;
    return store.createUser({ username: name, email: `${name}@example.test`, passwordHash: 'x' });
  };
  const newRoom = (owner: User, isPrivate = false): Promise<Room> => store.createRoom({ name: `room ${tag()}`, private: isPrivate, createdBy: owner.id });
  const actor = (u: User) => ({ id: u.id, username: u.username });

  it('appendMemberMessage stores for members and writes nothing for anyone else', async () => {
    const owner = await newUser();
    const outsider = await newUser();
    const room = await newRoom(owner);
    const stored = await store.appendMemberMessage({ roomId: room.id, senderId: owner.id, type: 'text', text: 'hi' });
    expect(stored).toMatchObject({ roomId: room.id, seq: 1, text: 'hi', sender: { id: owner.id, username: owner.username } });
    expect(await store.appendMemberMessage({ roomId: room.id, senderId: outsider.id, type: 'text', text: 'x' })).toBeNull();
    expect(await store.appendMemberMessage({ roomId: randomUUID(), senderId: owner.id, type: 'text', text: 'x' })).toBeNull();
    expect(await store.appendMemberMessage({ roomId: 'not-a-uuid', senderId: owner.id, type: 'text', text: 'x' })).toBeNull();
    expect(await store.appendMemberMessage({ roomId: room.id, senderId: randomUUID(), type: 'text', text: 'x' })).toBeNull();
    await expect(store.appendMemberMessage({ roomId: room.id, senderId: owner.id, type: 'shout' as 'text', text: 'x' })).rejects.toBeInstanceOf(ChorusError);
    expect(await store.lastSeq(room.id)).toBe(1);
    // After joining (join message is seq 2) the outsider may send.
    await store.addMember(room.id, outsider.id);
    expect((await store.appendMemberMessage({ roomId: room.id, senderId: outsider.id, type: 'text', text: 'now' }))?.seq).toBe(3);
    // After leaving, nothing is written again.
    await store.removeMember(room.id, outsider.id);
    expect(await store.appendMemberMessage({ roomId: room.id, senderId: outsider.id, type: 'text', text: 'x' })).toBeNull();
    expect((await store.listMessages(room.id, { after: 0, limit: 10 })).map((m) => m.text)).toEqual(['hi', `${outsider.username} joined`, 'now', `${outsider.username} left`]);
  });

  it('appendMemberMessages group-commits consecutive seqs in order, all or nothing, with push jobs', async () => {
    const owner = await newUser();
    const outsider = await newUser();
    const room = await newRoom(owner);
    await store.appendMemberMessage({ roomId: room.id, senderId: owner.id, type: 'text', text: 'first' });
    const batch = await store.appendMemberMessages(room.id, owner.id, ['a', 'b 👋', 'c']);
    expect(batch?.map((m) => [m.seq, m.text, m.type, m.sender.username])).toEqual([
      [2, 'a', 'text', owner.username],
      [3, 'b 👋', 'text', owner.username],
      [4, 'c', 'text', owner.username],
    ]);
    expect(new Set(batch!.map((m) => m.id)).size).toBe(3);
    expect(await store.appendMemberMessages(room.id, outsider.id, ['x', 'y'])).toBeNull();
    expect(await store.appendMemberMessages(randomUUID(), owner.id, ['x'])).toBeNull();
    expect(await store.appendMemberMessages(room.id, owner.id, [])).toEqual([]);
    // A NUL cannot be stored: the whole batch is refused and nothing is written.
    await expect(store.appendMemberMessages(room.id, owner.id, ['ok', 'bad\u0000'])).rejects.toBeInstanceOf(ChorusError);
    expect(await store.lastSeq(room.id)).toBe(4);
    const { rows } = await t.db.query<{ n: string | number }>('SELECT count(*) AS n FROM push_outbox WHERE room_id = $1', [room.id]);
    expect(Number(rows[0]!.n)).toBe(4);
  });

  it('ChatService.sendMany stores in order and publishes each message once', async () => {
    const owner = await newUser();
    const room = await newRoom(owner);
    const published: number[] = [];
    const unsubscribe = await broker.subscribe(topics.room(room.id), (payload) => published.push((JSON.parse(payload) as { seq: number }).seq));
    const sent = await chat.sendMany(actor(owner), room.id, ['one', 'two', 'three'], 'stomp');
    expect(sent.map((m) => m.text)).toEqual(['one', 'two', 'three']);
    await expect.poll(() => published.length).toBe(3);
    expect(published).toEqual([1, 2, 3]);
    await expectError(chat.sendMany(actor(owner), room.id, ['ok', 'x'.repeat(101)], 'stomp'), 'payload_too_large', 'text is longer than 100 characters');
    expect(await store.lastSeq(room.id)).toBe(3);
    await unsubscribe();
  });

  it('ChatService.send stores and publishes for a member, with gap-free seqs under concurrency', async () => {
    const owner = await newUser();
    const room = await newRoom(owner);
    const published: number[] = [];
    const unsubscribe = await broker.subscribe(topics.room(room.id), (payload) => published.push((JSON.parse(payload) as { seq: number }).seq));
    const sent = await Promise.all(Array.from({ length: 20 }, (_, i) => chat.send(actor(owner), room.id, `m${i}`, 'stomp')));
    expect(sent.map((m) => m.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await expect.poll(() => published.length).toBe(20);
    await unsubscribe();
  });

  it('ChatService.send refuses with the same errors as before: 404 unknown/private, 403 public non-member', async () => {
    const owner = await newUser();
    const outsider = await newUser();
    const open = await newRoom(owner);
    const secret = await newRoom(owner, true);
    await expectError(chat.send(actor(outsider), open.id, 'x', 'stomp'), 'forbidden', 'not a member of this room');
    await expectError(chat.send(actor(outsider), secret.id, 'x', 'stomp'), 'not_found', 'room not found');
    await expectError(chat.send(actor(owner), randomUUID(), 'x', 'stomp'), 'not_found', 'room not found');
    await expectError(chat.send(actor(owner), 'nope', 'x', 'stomp'), 'not_found', 'room not found');
    await expect(chat.send(actor(owner), open.id, '', 'stomp')).rejects.toBeInstanceOf(ChorusError);
    expect(await store.lastSeq(open.id)).toBe(0);
    expect(await store.lastSeq(secret.id)).toBe(0);
  });
});
