import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachmentKey, thumbnailKey } from '../src/attachments/keys.js';
import { sweepAttachmentsOnce } from '../src/attachments/attachment-sweeper.js';
import { FsObjectStore } from '../src/objects/fs-object-store.js';
import { createTestStore, type TestStore } from '../src/testing/index.js';

describe('attachment sweep (PGlite + files)', () => {
  let t: TestStore;
  let dir: string;
  let objects: FsObjectStore;
  const logger = pino({ level: 'silent' });

  beforeAll(async () => {
    t = await createTestStore('pglite');
    dir = await mkdtemp(path.join(tmpdir(), 'chorus-sweep-'));
    objects = await new FsObjectStore(dir).open();
  });
  afterAll(async () => {
    await t?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  async function put(key: string, ageSeconds: number) {
    await objects.put(key, Readable.from([randomBytes(10)]), { contentType: 'application/octet-stream' });
    const when = new Date(Date.now() - ageSeconds * 1000);
    await utimes(path.join(dir, ...key.split('/')), when, when);
  }

  it('removes unsent uploads past the TTL with their bytes, orphan objects past the TTL, and nothing else', async () => {
    const name = `u_${randomBytes(4).toString('hex')}`;
    const user = await t.store.createUser({ username: name, email: `${name}@x.test`, passwordHash: 'x' });
    const room = await t.store.createRoom({ name: 'r', private: false, createdBy: user.id });
    const make = async (ageSeconds: number, withThumb = false) => {
      const id = randomUUID();
      await put(attachmentKey(room.id, id), ageSeconds);
      if (withThumb) await put(thumbnailKey(room.id, id), ageSeconds);
      await t.store.createAttachment({ id, roomId: room.id, uploaderId: user.id, name: 'f', contentType: 'text/plain', size: 10, objectKey: attachmentKey(room.id, id), thumbnailKey: withThumb ? thumbnailKey(room.id, id) : null });
      await t.db.query(`UPDATE attachments SET created_at = now() - make_interval(secs => $2) WHERE id = $1`, [id, ageSeconds]);
      return id;
    };
    const oldUnsent = await make(7200, true);
    const freshUnsent = await make(10);
    const oldSent = await make(7200);
    await t.store.appendMemberMessages([{ roomId: room.id, senderId: user.id, text: '', attachments: [oldSent] }]);
    // Bytes whose row never came (crash between the two writes), old and fresh.
    const oldOrphan = attachmentKey(room.id, randomUUID());
    const freshOrphan = attachmentKey(room.id, randomUUID());
    await put(oldOrphan, 7200);
    await put(freshOrphan, 5);
    await put('elsewhere/keep-me', 7200);

    const swept = await sweepAttachmentsOnce({ store: t.store, objects, ttlSeconds: 3600, logger });
    expect(swept).toEqual({ unsent: 1, orphans: 1 });
    const left: string[] = [];
    for await (const o of objects.list('')) left.push(o.key);
    expect(left.sort()).toEqual([attachmentKey(room.id, freshUnsent), attachmentKey(room.id, oldSent), freshOrphan, 'elsewhere/keep-me'].sort());
    expect(await t.store.getAttachment(oldUnsent)).toBeNull();
  });

  it('a deleted room loses its rows with it, and its files on the next sweep', async () => {
    const name = `u_${randomBytes(4).toString('hex')}`;
    const user = await t.store.createUser({ username: name, email: `${name}@x.test`, passwordHash: 'x' });
    const room = await t.store.createRoom({ name: 'doomed', private: false, createdBy: user.id });
    const id = randomUUID();
    await put(attachmentKey(room.id, id), 7200);
    await t.store.createAttachment({ id, roomId: room.id, uploaderId: user.id, name: 'f', contentType: 'text/plain', size: 10, objectKey: attachmentKey(room.id, id) });
    await t.store.appendMemberMessages([{ roomId: room.id, senderId: user.id, text: 'x', attachments: [id] }]);
    await t.db.query('DELETE FROM push_outbox WHERE room_id = $1', [room.id]);
    await t.db.query('DELETE FROM rooms WHERE id = $1', [room.id]);
    await sweepAttachmentsOnce({ store: t.store, objects, ttlSeconds: 3600, logger });
    expect(await objects.head(attachmentKey(room.id, id))).toBeNull();
  });

  it("a deleted message's files go on the next sweep; other messages' files stay", async () => {
    const name = `u_${randomBytes(4).toString('hex')}`;
    const user = await t.store.createUser({ username: name, email: `${name}@x.test`, passwordHash: 'x' });
    const room = await t.store.createRoom({ name: 'r', private: false, createdBy: user.id });
    const [gone, kept] = [randomUUID(), randomUUID()];
    for (const id of [gone, kept]) {
      await put(attachmentKey(room.id, id), 7200);
      await t.store.createAttachment({ id, roomId: room.id, uploaderId: user.id, name: 'f', contentType: 'text/plain', size: 10, objectKey: attachmentKey(room.id, id) });
    }
    const [message] = await t.store.appendMemberMessages([
      { roomId: room.id, senderId: user.id, text: 'x', attachments: [gone] },
      { roomId: room.id, senderId: user.id, text: 'y', attachments: [kept] },
    ]);
    await t.store.appendLifecycleEvent({ type: 'delete', roomId: room.id, actorId: user.id, targetId: message!.id });
    await sweepAttachmentsOnce({ store: t.store, objects, ttlSeconds: 3600, logger });
    expect(await objects.head(attachmentKey(room.id, gone))).toBeNull();
    expect(await objects.head(attachmentKey(room.id, kept))).not.toBeNull();
  });
});

