import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '@chorus/core';
import { startTestApi, type TestApi, type TestUser } from './support.js';

/**
 * Hostile uploads: every answer is a 4xx (or the upload succeeds), never a 5xx or a crash,
 * and nothing is left in the object store by a refused or abandoned upload.
 */
describe('hostile uploads', () => {
  let api: TestApi;
  let dir: string;
  let objects: FsObjectStore;
  let user: TestUser;
  let roomId: string;
  let port: number;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'chorus-hostile-'));
    objects = await new FsObjectStore(dir).open();
    api = await startTestApi('pglite', {
      objects,
      env: { MAX_ATTACHMENT_BYTES: String(256 * 1024 * 1024), ATTACHMENT_UPLOAD_BURST: '10000', ATTACHMENT_UPLOADS_PER_MINUTE: '100000' },
    });
    port = Number(new URL(api.url).port);
    user = await api.signup('hostile');
    roomId = (await api.call('POST', '/api/rooms', { token: user.token, json: { name: 'hostile' } })).body.id;
  });
  afterAll(async () => {
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function keys(): Promise<string[]> {
    const out: string[] = [];
    for await (const o of objects.list('attachments/')) out.push(o.key);
    return out.sort();
  }

  /** Writes `head` + `body` on a raw socket; resolves with the status line (or 'closed' when the server hung up without one). */
  function rawRequest(head: string, body: Buffer | undefined, options: { endAfter?: boolean; destroyAfter?: boolean } = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let answer = '';
      socket.on('data', (chunk) => {
        answer += chunk.toString('latin1');
      });
      socket.on('error', () => resolve(answer.split('\r\n')[0] || 'closed'));
      socket.on('close', () => resolve(answer.split('\r\n')[0] || 'closed'));
      socket.on('connect', () => {
        socket.write(head);
        if (body) socket.write(body);
        if (options.destroyAfter) setImmediate(() => socket.destroy());
        else if (options.endAfter) socket.end();
      });
      socket.setTimeout(20_000, () => reject(new Error('no answer within 20 s')));
    });
  }

  const headers = (extra: string) =>
    `POST /api/rooms/${roomId}/attachments?name=x.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${user.token}\r\nConnection: close\r\n${extra}\r\n`;

  async function healthy() {
    const reply = await api.call('GET', '/healthz');
    expect(reply.status).toBe(200);
  }

  it('a body cut short (client gone, or half-closed) stores nothing and breaks nothing', async () => {
    const before = await keys();
    await rawRequest(headers('Content-Type: application/octet-stream\r\nContent-Length: 100000\r\n'), randomBytes(5000), { destroyAfter: true });
    const halfClosed = await rawRequest(headers('Content-Type: application/octet-stream\r\nContent-Length: 100000\r\n'), randomBytes(5000), { endAfter: true });
    expect(halfClosed).not.toMatch(/ 5\d\d /);
    const boundary = 'xyz';
    const truncatedMultipart = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n${'a'.repeat(3000)}`;
    const status = await rawRequest(headers(`Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${truncatedMultipart.length + 500}\r\n`), Buffer.from(truncatedMultipart), { endAfter: true });
    expect(status).not.toMatch(/ 5\d\d /);
    await healthy();
    // The server finishes its side asynchronously: wait for the upload directory to be cleared.
    await expect.poll(keys, { timeout: 5000 }).toEqual(before);
  });

  it('multipart abuse is refused with a 4xx: huge part headers, many parts, no boundary, wrong part name', async () => {
    const boundary = 'b0undary';
    const hugeHeader = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\nX-Junk: ${'j'.repeat(200_000)}\r\n\r\nhello\r\n--${boundary}--\r\n`;
    const manyParts = `${Array.from({ length: 2000 }, (_, i) => `--${boundary}\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nv\r\n`).join('')}--${boundary}--\r\n`;
    const wrongName = `--${boundary}\r\nContent-Disposition: form-data; name="upload"; filename="a.bin"\r\n\r\nhello\r\n--${boundary}--\r\n`;
    const manyHeaders = `--${boundary}\r\n${Array.from({ length: 500 }, (_, i) => `X-H${i}: v\r\n`).join('')}Content-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\nhello\r\n--${boundary}--\r\n`;
    const statuses: string[] = [];
    for (const body of [hugeHeader, manyParts, wrongName, manyHeaders]) {
      statuses.push(await rawRequest(headers(`Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`), Buffer.from(body)));
    }
    // busboy reads at most 16 KiB of a part's headers and ignores the rest: the file itself is fine.
    expect(statuses[0]).toMatch(/^HTTP\/1\.1 (201|4\d\d) /);
    for (const status of statuses.slice(1)) expect(status).toMatch(/^HTTP\/1\.1 4\d\d /);
    const noBoundary = await rawRequest(headers('Content-Type: multipart/form-data\r\nContent-Length: 5\r\n'), Buffer.from('hello'));
    expect(noBoundary).toMatch(/^HTTP\/1\.1 4\d\d /);
    await healthy();
  });

  it('lying content types are replaced by what the bytes are', async () => {
    const form = new FormData();
    form.append('file', new Blob(['just some text, honest'], { type: 'image/png' }), 'photo.png');
    const text = await fetch(`${api.url}/api/rooms/${roomId}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${user.token}` }, body: form });
    expect(((await text.json()) as { contentType: string }).contentType).toBe('text/plain');
    const whole = await sharp({ create: { width: 300, height: 300, channels: 3, background: 'blue' } }).png().toBuffer();
    const png = whole.subarray(0, 60);
    const broken = await fetch(`${api.url}/api/rooms/${roomId}/attachments?name=a.txt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'text/plain' },
      body: png,
    });
    // A PNG cut short: it does not decode, so it is kept as a file without a thumbnail.
    expect(broken.status).toBe(201);
    const body = (await broken.json()) as { contentType: string; thumbnailUrl?: string };
    expect(body.contentType).toBe('image/png');
    expect(body.thumbnailUrl).toBeUndefined();
  });

  it('a slow upload (a chunk at a time, with pauses) completes', async () => {
    const chunks = Array.from({ length: 10 }, () => randomBytes(1000));
    async function* slow() {
      for (const chunk of chunks) {
        yield chunk;
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    }
    const response = await fetch(`${api.url}/api/rooms/${roomId}/attachments?name=slow.bin`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/octet-stream' },
      body: Readable.toWeb(Readable.from(slow())) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(201);
    expect(((await response.json()) as { size: number }).size).toBe(10_000);
  });

  it('a 128 MiB upload goes through in bounded memory', async () => {
    const chunk = randomBytes(256 * 1024);
    const total = 512;
    let peak = 0;
    const baseline = process.memoryUsage();
    const sample = () => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.heapUsed - baseline.heapUsed + (m.arrayBuffers - baseline.arrayBuffers));
    };
    const timer = setInterval(sample, 20);
    async function* body() {
      for (let i = 0; i < total; i++) yield chunk;
    }
    try {
      const response = await fetch(`${api.url}/api/rooms/${roomId}/attachments?name=big.bin`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/octet-stream' },
        body: Readable.toWeb(Readable.from(body())) as ReadableStream,
        duplex: 'half',
      } as RequestInit);
      expect(response.status).toBe(201);
      expect(((await response.json()) as { size: number }).size).toBe(total * chunk.length);
    } finally {
      clearInterval(timer);
    }
    // The whole file is 128 MiB; what the process holds at once stays far below it.
        expect(peak).toBeLessThan(48 * 1024 * 1024);
  });
});
