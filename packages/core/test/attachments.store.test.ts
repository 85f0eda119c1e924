import { randomBytes, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBroker } from '../src/broker/memory-broker.js';
import type { Room, User } from '../src/domain/types.js';
import { ChatService } from '../src/messaging/chat-service.js';
import { createMetrics } from '../src/observability/metrics.js';
import { attachmentKey } from '../src/attachments/keys.js';
import type { SqlStore } from '../src/store/sql-store.js';
import type { StoredAttachment } from '../src/store/store.js';
import { createTestStore, storeBackends, type TestStore } from '../src/testing/index.js';

const tag = () => randomBytes(5).toString('hex');

describe.each(storeBackends())('attachments in the store and the send path (%s)', (backend) => {
  let t: TestStore;
  let store: SqlStore;
  let chat: ChatService;
  let broker: MemoryBroker;

  beforeAll(async () => {
    t = await createTestStore(backend);
    store = t.store;
    broker = new MemoryBroker();
    chat = new ChatService({ store, broker, metrics: createMetrics('test'), logger: pino({ level: 'silent' }), maxMessageLength: 100, maxAttachmentsPerMessage: 3 });
  });
  afterAll(async () => {
    await broker?.close();
    await t?.cleanup();
  });

  async function newUser(): Promise<User> {
    const name = `u_${tag()}`;
    return store.createUser({ username: name, email: `${name}@example.test`, passwordHash: 'x' });
  }
  async function newRoom(owner: User): Promise<Room> {
    return store.createRoom({ name: `room ${tag()}`, private: false, createdBy: owner.id });
  }
  async function upload(room: Room, user: User, name = `file-${tag()}.pdf`, extra: Partial<StoredAttachment> = {}): Promise<StoredAttachment> {
    const id = randomUUID();
    return store.createAttachment({ id, roomId: room.id, uploaderId: user.id, name, contentType: 'application/pdf', size: 1234, objectKey: attachmentKey(room.id, id), ...extra });
  }

  it('records an upload only for a member of the room', async () => {
    const [alice, mallory] = [await newUser(), await newUser()];
    const room = await newRoom(alice);
    const a = await upload(room, alice, 'report.pdf');
    expect(a).toMatchObject({ name: 'report.pdf', contentType: 'application/pdf', size: 1234, roomId: room.id, uploaderId: alice.id, messageId: null, url: `/api/attachments/${a.id}` });
    await expect(upload(room, mallory)).rejects.toMatchObject({ code: 'not_found' });
    expect(await store.getAttachmentForMember(a.id, alice.id)).toMatchObject({ id: a.id });
    expect(await store.getAttachmentForMember(a.id, mallory.id)).toBeNull();
  });

  it('sends attachments with and without text; history, since-replay and search carry them', async () => {
    const alice = await newUser();
    const room = await newRoom(alice);
    const photo = await upload(room, alice, 'holiday_photo.jpg', { width: 640, height: 480, thumbnailKey: `${attachmentKey(room.id, randomUUID())}.thumb` } as Partial<StoredAttachment>);
    const doc = await upload(room, alice, 'q3-report.pdf');
    const first = await chat.send(alice, room.id, { text: '', attachments: [doc.id, photo.id] }, 'http');
    expect(first.text).toBe('');
    expect(first.attachments).toEqual([
      { id: doc.id, name: 'q3-report.pdf', contentType: 'application/pdf', size: 1234, url: `/api/attachments/${doc.id}` },
      { id: photo.id, name: 'holiday_photo.jpg', contentType: 'application/pdf', size: 1234, width: 640, height: 480, url: `/api/attachments/${photo.id}`, thumbnailUrl: `/api/attachments/${photo.id}/thumbnail` },
    ]);
    const second = await chat.send(alice, room.id, 'plain text', 'http');
    expect(second.attachments).toBeUndefined();
    const history = await store.listMessages(room.id, { limit: 10 });
    expect(history.find((m) => m.id === first.id)?.attachments).toEqual(first.attachments);
    const replay = await store.listMessages(room.id, { after: first.seq - 1, limit: 10 });
    expect(replay[0]).toEqual(first);
    const found = await store.searchMessages({ userId: alice.id, text: 'report', limit: 10 });
    expect(found.map((m) => m.id)).toEqual([first.id]);
    expect((await store.getAttachment(doc.id))?.messageId).toBe(first.id);
    // Unread counts include attachment-only messages.
    const bob = await newUser();
    await store.addMember(room.id, bob.id);
    const before = (await store.listMemberRooms(bob.id)).find((r) => r.id === room.id)!;
    await chat.send(alice, room.id, { attachments: [(await upload(room, alice)).id] }, 'stomp');
    const after = (await store.listMemberRooms(bob.id)).find((r) => r.id === room.id)!;
    expect(after.unread).toBe(before.unread + 1);
  });

  it('an upload is sent once, only by its uploader, only in its room', async () => {
    const [alice, bob] = [await newUser(), await newUser()];
    const room = await newRoom(alice);
    const other = await newRoom(alice);
    await store.addMember(room.id, bob.id);
    const a = await upload(room, alice);
    const lastSeq = await store.lastSeq(room.id);
    await expect(chat.send(bob, room.id, { text: 'mine now', attachments: [a.id] }, 'http')).rejects.toMatchObject({ code: 'bad_request' });
    await expect(chat.send(alice, other.id, { text: 'wrong room', attachments: [a.id] }, 'http')).rejects.toMatchObject({ code: 'bad_request' });
    await expect(chat.send(alice, room.id, { text: 'x', attachments: [randomUUID()] }, 'http')).rejects.toMatchObject({ code: 'bad_request' });
    expect(await store.lastSeq(room.id)).toBe(lastSeq);
    await chat.send(alice, room.id, { text: 'ok', attachments: [a.id] }, 'http');
    await expect(chat.send(alice, room.id, { text: 'again', attachments: [a.id] }, 'http')).rejects.toMatchObject({ code: 'conflict' });
    expect(await store.lastSeq(room.id)).toBe(lastSeq! + 1);
  });

  it('two concurrent sends of one upload: exactly one message is stored', async () => {
    const alice = await newUser();
    const room = await newRoom(alice);
    const a = await upload(room, alice);
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => chat.send(alice, room.id, { text: `try ${i}`, attachments: [a.id] }, 'stomp')),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await store.lastSeq(room.id)).toBe(1);
  });

  it('refuses bad attachment lists before storing anything', async () => {
    const alice = await newUser();
    const room = await newRoom(alice);
    const id = randomUUID();
    await expect(chat.send(alice, room.id, { text: 'x', attachments: 'nope' }, 'http')).rejects.toMatchObject({ code: 'bad_request' });
    await expect(chat.send(alice, room.id, { text: 'x', attachments: [id, id] }, 'http')).rejects.toMatchObject({ code: 'bad_request' });
    await expect(chat.send(alice, room.id, { text: 'x', attachments: [1] }, 'http')).rejects.toMatchObject({ code: 'bad_request' });
    await expect(chat.send(alice, room.id, { text: 'x', attachments: [randomUUID(), randomUUID(), randomUUID(), randomUUID()] }, 'http')).rejects.toMatchObject({ code: 'bad_request' });
    await expect(chat.send(alice, room.id, { text: '  ', attachments: [] }, 'http')).rejects.toMatchObject({ code: 'bad_request' });
    expect(await store.lastSeq(room.id)).toBe(0);
  });

  it('deletes unsent uploads older than a cutoff, never sent ones', async () => {
    const alice = await newUser();
    const room = await newRoom(alice);
    const unsent = await upload(room, alice);
    const sent = await upload(room, alice);
    await chat.send(alice, room.id, { attachments: [sent.id] }, 'http');
    await t.db.query(`UPDATE attachments SET created_at = now() - interval '2 days' WHERE id = ANY($1::uuid[])`, [[unsent.id, sent.id]]);
    const deleted = await store.deleteUnsentAttachments(new Date(Date.now() - 86_400_000), 500);
    expect(deleted.map((d) => d.id)).toContain(unsent.id);
    expect(deleted.map((d) => d.id)).not.toContain(sent.id);
    expect(await store.existingAttachmentIds([unsent.id, sent.id, 'not-a-uuid'])).toEqual(new Set([sent.id]));
  });
});
