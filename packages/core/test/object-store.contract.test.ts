import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChorusError } from '../src/errors.js';
import { FsObjectStore } from '../src/objects/fs-object-store.js';
import type { ObjectStore } from '../src/objects/object-store.js';
import { TestS3Server } from '../src/testing/s3-server.js';

interface Twin {
  store: ObjectStore;
  cleanup(): Promise<void>;
}

const twins: Array<[string, () => Promise<Twin>]> = [
  [
    'files',
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'chorus-objects-'));
      return { store: await new FsObjectStore(dir).open(), cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  ],
  [
    's3 (s3rver)',
    async () => {
      const server = await TestS3Server.start();
      const store = server.objectStore();
      return { store, cleanup: async () => (await store.close(), await server.stop()) };
    },
  ],
];

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const key = () => `test/${randomBytes(6).toString('hex')}`;

/** A stream of `chunks` chunks of `size` bytes that fails after them (an aborted upload). */
function failingBody(chunks: number, size: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent++ < chunks) this.push(randomBytes(size));
      else this.destroy(new Error('client went away'));
    },
  });
}

async function keys(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const object of store.list(prefix)) out.push(object.key);
  return out.sort();
}

describe.each(twins)('ObjectStore contract (%s)', (_name, make) => {
  let twin: Twin;
  let store: ObjectStore;
  beforeAll(async () => {
    twin = await make();
    store = twin.store;
  });
  afterAll(async () => {
    await twin?.cleanup();
  });

  it('answers ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('stores a streamed object and reads the same bytes back', async () => {
    const k = key();
    const data = randomBytes(300_000);
    await expect(store.put(k, Readable.from([data.subarray(0, 1000), data.subarray(1000)]), { contentType: 'application/octet-stream' })).resolves.toEqual({ size: data.length });
    const read = await store.get(k);
    expect(read).not.toBeNull();
    expect(read!.size).toBe(data.length);
    expect(read!.contentLength).toBe(data.length);
    expect(sha(await buffer(read!.body))).toBe(sha(data));
    const head = await store.head(k);
    expect(head?.size).toBe(data.length);
    expect(head?.lastModified).toBeInstanceOf(Date);
  });

  it('stores a multipart-sized object (more than one 5 MiB part) intact', async () => {
    const k = key();
    const data = randomBytes(11 * 1024 * 1024 + 17);
    const chunks = Array.from({ length: Math.ceil(data.length / 65536) }, (_, i) => data.subarray(i * 65536, (i + 1) * 65536));
    await store.put(k, Readable.from(chunks), { contentType: 'application/octet-stream' });
    expect(sha(await buffer((await store.get(k))!.body))).toBe(sha(data));
  });

  it('reads a byte range', async () => {
    const k = key();
    const data = randomBytes(5000);
    await store.put(k, Readable.from([data]), { contentType: 'application/octet-stream' });
    const read = await store.get(k, { start: 100, end: 199 });
    expect(read!.size).toBe(5000);
    expect(read!.contentLength).toBe(100);
    expect(Buffer.compare(await buffer(read!.body), data.subarray(100, 200))).toBe(0);
    await expect(store.get(k, { start: 10, end: 5000 })).rejects.toBeInstanceOf(ChorusError);
  });

  it('answers null for a missing key, and delete is idempotent', async () => {
    const k = key();
    expect(await store.get(k)).toBeNull();
    expect(await store.head(k)).toBeNull();
    await store.put(k, Readable.from([Buffer.from('x')]), { contentType: 'text/plain' });
    await store.delete(k);
    await store.delete(k);
    expect(await store.get(k)).toBeNull();
  });

  it('leaves nothing visible when the body fails mid-stream', async () => {
    const prefix = `aborted-${randomBytes(4).toString('hex')}/`;
    const k = `${prefix}object`;
    await expect(store.put(k, failingBody(3, 64 * 1024), { contentType: 'application/octet-stream' })).rejects.toThrow('client went away');
    expect(await store.get(k)).toBeNull();
    expect(await keys(store, prefix)).toEqual([]);
  });

  it('replaces an object atomically: readers see the old or the new bytes, never a mix', async () => {
    const k = key();
    const old = Buffer.alloc(200_000, 1);
    const next = Buffer.alloc(200_000, 2);
    await store.put(k, Readable.from([old]), { contentType: 'application/octet-stream' });
    const writing = store.put(k, Readable.from([next.subarray(0, 100_000), next.subarray(100_000)]), { contentType: 'application/octet-stream' });
    const seen = await buffer((await store.get(k))!.body);
    await writing;
    expect([sha(old), sha(next)]).toContain(sha(seen));
    expect(sha(await buffer((await store.get(k))!.body))).toBe(sha(next));
  });

  it('lists objects by prefix', async () => {
    const prefix = `list-${randomBytes(4).toString('hex')}/`;
    await store.put(`${prefix}a`, Readable.from([Buffer.from('a')]), { contentType: 'text/plain' });
    await store.put(`${prefix}sub/b`, Readable.from([Buffer.from('bb')]), { contentType: 'text/plain' });
    const listed: Array<{ key: string; size: number }> = [];
    for await (const o of store.list(prefix)) listed.push({ key: o.key, size: o.size });
    expect(listed.sort((x, y) => x.key.localeCompare(y.key))).toEqual([
      { key: `${prefix}a`, size: 1 },
      { key: `${prefix}sub/b`, size: 2 },
    ]);
  });

  it.each(['../escape', 'a/../../b', '/abs', 'a//b', 'UPPER', 'a\\b', '', 'x/./y', 'a b', `${'a'.repeat(513)}`])('refuses the unsafe key %j before any I/O', async (bad) => {
    await expect(store.put(bad, Readable.from([Buffer.from('x')]), { contentType: 'text/plain' })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(store.get(bad)).rejects.toMatchObject({ code: 'bad_request' });
    await expect(store.delete(bad)).rejects.toMatchObject({ code: 'bad_request' });
  });
});

describe('FsObjectStore', () => {
  it('keeps temporaries out of sight and removes them on open', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'chorus-objects-'));
    try {
      const store = await new FsObjectStore(dir).open();
      await expect(store.put('a/b', failingBody(2, 1024), { contentType: 'x/y' })).rejects.toThrow();
      expect(await readdir(path.join(dir, '.tmp'))).toEqual([]);
      expect(await keys(store, '')).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('S3ObjectStore', () => {
  it('presigns a GET URL that serves the object with the given disposition', async () => {
    const server = await TestS3Server.start();
    const store = server.objectStore();
    try {
      await store.put('p/one', Readable.from([Buffer.from('hello')]), { contentType: 'text/plain' });
      const url = await store.presignGet('p/one', { expiresInSeconds: 60, contentType: 'text/plain', contentDisposition: 'attachment; filename="one.txt"' });
      const response = await fetch(url!);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('hello');
    } finally {
      await store.close();
      await server.stop();
    }
  });
});

describe('S3ObjectStore when the service is gone', () => {
  it('rejects a put (and does not hang on the unread body) when S3 cannot be reached', async () => {
    const server = await TestS3Server.start();
    const store = server.objectStore();
    await server.stop();
    try {
      const endless = new Readable({
        read() {
          this.push(randomBytes(64 * 1024));
        },
      });
      await expect(store.put('gone/x', endless, { contentType: 'application/octet-stream' })).rejects.toBeDefined();
      expect(endless.destroyed).toBe(true);
    } finally {
      await store.close();
    }
  });
});
