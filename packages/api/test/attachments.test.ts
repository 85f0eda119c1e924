import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore, type ObjectStore } from '@chorus/core';
import { TestS3Server } from '@chorus/core/testing';
import { expectError, startTestApi, type TestApi, type TestUser } from './support.js';

const sha = (data: Buffer | Uint8Array) => createHash('sha256').update(data).digest('hex');

interface Twin {
  objects: ObjectStore;
  cleanup(): Promise<void>;
}

const twins: Array<[string, () => Promise<Twin>]> = [
  [
    'files',
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'chorus-api-objects-'));
      return { objects: await new FsObjectStore(dir).open(), cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  ],
  [
    's3',
    async () => {
      const server = await TestS3Server.start();
      const objects = server.objectStore();
      return { objects, cleanup: async () => (await objects.close(), await server.stop()) };
    },
  ],
];

/** A JPEG whose EXIF carries a GPS position. */
async function jpegWithGps(width = 800, height = 600): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 30, b: 30 } } })
    .withExif({ IFD0: { Make: 'Chorus Test Cam' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' } })
    .jpeg()
    .toBuffer();
}

async function objectKeys(objects: ObjectStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of objects.list('attachments/')) keys.push(o.key);
  return keys;
}

describe.each(twins)('attachments over REST (%s)', (_name, makeTwin) => {
  let api: TestApi;
  let twin: Twin;
  let alice: TestUser;
  let bob: TestUser;
  let eve: TestUser;
  let roomId: string;

  beforeAll(async () => {
    twin = await makeTwin();
    api = await startTestApi('pglite', {
      objects: twin.objects,
      env: { MAX_ATTACHMENT_BYTES: String(1024 * 1024), ATTACHMENT_UPLOAD_BURST: '1000', ATTACHMENT_UPLOADS_PER_MINUTE: '100000' },
    });
    [alice, bob, eve] = [await api.signup('alice'), await api.signup('bob'), await api.signup('eve')];
    const room = await api.call('POST', '/api/rooms', { token: alice.token, json: { name: 'files', private: true } });
    roomId = room.body.id;
    expect((await api.call('POST', `/api/rooms/${roomId}/members`, { token: alice.token, json: { userId: bob.id } })).status).toBe(200);
  });
  afterAll(async () => {
    await api?.close();
    await twin?.cleanup();
  });

  async function upload(token: string, data: Buffer, options: { name?: string; contentType?: string; multipart?: boolean; room?: string } = {}) {
    const room = options.room ?? roomId;
    if (options.multipart) {
      const form = new FormData();
      form.append('file', new Blob([data], { type: options.contentType ?? 'application/octet-stream' }), options.name ?? 'file.bin');
      const response = await fetch(`${api.url}/api/rooms/${room}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return { status: response.status, headers: response.headers, body: (await response.json()) as any };
    }
    const query = options.name === undefined ? '' : `?name=${encodeURIComponent(options.name)}`;
    const response = await fetch(`${api.url}/api/rooms/${room}/attachments${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': options.contentType ?? 'application/octet-stream' },
      body: data,
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: response.status, headers: response.headers, body: (await response.json()) as any };
  }

  async function download(token: string, url: string, headers: Record<string, string> = {}) {
    const response = await fetch(`${api.url}${url}`, { headers: { authorization: `Bearer ${token}`, ...headers }, redirect: 'manual' });
    return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
  }

  it('uploads raw and multipart, sends them in one message, and a member downloads the same bytes', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(200_000)]);
    const raw = await upload(alice.token, pdf, { name: 'Q3 report.pdf', contentType: 'text/plain' });
    expect(raw.status).toBe(201);
    expect(raw.body).toEqual({ id: expect.any(String), name: 'Q3 report.pdf', contentType: 'application/pdf', size: pdf.length, url: `/api/attachments/${raw.body.id}` });
    const blob = randomBytes(70_000);
    const multi = await upload(alice.token, blob, { name: 'data.bin', multipart: true });
    expect(multi.status).toBe(201);
    expect(multi.body).toMatchObject({ name: 'data.bin', contentType: 'application/octet-stream', size: blob.length });

    // Unsent uploads are the uploader's alone.
    expect((await download(bob.token, raw.body.url)).status).toBe(404);

    const sent = await api.call('POST', `/api/rooms/${roomId}/messages`, { token: alice.token, json: { attachments: [raw.body.id, multi.body.id] } });
    expect(sent.status).toBe(201);
    expect(sent.body.text).toBe('');
    expect(sent.body.attachments).toEqual([raw.body, multi.body]);
    const history = await api.call('GET', `/api/rooms/${roomId}/messages`, { token: bob.token });
    expect(history.body.messages.at(-1).attachments).toEqual([raw.body, multi.body]);
    const search = await api.call('GET', `/api/search?q=report`, { token: bob.token });
    expect(search.body.messages.map((m: { id: string }) => m.id)).toContain(sent.body.id);
    expect(search.body.messages.find((m: { id: string }) => m.id === sent.body.id).attachments).toEqual([raw.body, multi.body]);

    const got = await download(bob.token, raw.body.url);
    expect(got.status).toBe(200);
    expect(sha(got.bytes)).toBe(sha(pdf));
    expect(got.headers.get('content-length')).toBe(String(pdf.length));
    expect(got.headers.get('content-type')).toBe('application/pdf');
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(got.headers.get('content-disposition')).toMatch(/^attachment; filename="Q3 report.pdf"/);
    expect(got.headers.get('content-security-policy')).toContain('sandbox');
    const etag = got.headers.get('etag')!;
    expect((await download(bob.token, raw.body.url, { 'if-none-match': etag })).status).toBe(304);

    const part = await download(bob.token, raw.body.url, { range: 'bytes=100-1099' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-1099/${pdf.length}`);
    expect(Buffer.compare(part.bytes, pdf.subarray(100, 1100))).toBe(0);
    const suffix = await download(bob.token, raw.body.url, { range: 'bytes=-10' });
    expect(Buffer.compare(suffix.bytes, pdf.subarray(pdf.length - 10))).toBe(0);
    const bad = await download(bob.token, raw.body.url, { range: `bytes=${pdf.length}-` });
    expect(bad.status).toBe(416);
    expect(bad.headers.get('content-range')).toBe(`bytes */${pdf.length}`);

    // Not a member: 404, the same as an id that does not exist.
    expect((await download(eve.token, raw.body.url)).status).toBe(404);
    expect((await download(eve.token, `/api/attachments/${randomUUID()}`)).status).toBe(404);
    expect((await download(eve.token, '/api/attachments/not-a-uuid')).status).toBe(404);
    // And cannot upload there.
    expect((await upload(eve.token, Buffer.from('x'), { name: 'x.txt' })).status).toBe(404);
  });

  it('makes images a thumbnail and dimensions, and strips EXIF location from what others download', async () => {
    const photo = await jpegWithGps(1200, 900);
    expect((await sharp(photo).metadata()).exif).toBeDefined();
    const up = await upload(alice.token, photo, { name: 'beach.jpg', multipart: true, contentType: 'image/jpeg' });
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ contentType: 'image/jpeg', width: 1200, height: 900, thumbnailUrl: `/api/attachments/${up.body.id}/thumbnail` });
    await api.call('POST', `/api/rooms/${roomId}/messages`, { token: alice.token, json: { text: 'look', attachments: [up.body.id] } });
    const full = await download(bob.token, up.body.url);
    expect(full.headers.get('content-disposition')).toMatch(/^inline/);
    const meta = await sharp(full.bytes).metadata();
    expect(meta.exif).toBeUndefined();
    expect(full.bytes.includes(Buffer.from('Chorus Test Cam'))).toBe(false);
    expect([meta.width, meta.height]).toEqual([1200, 900]);
    expect(up.body.size).toBe(full.bytes.length);
    const thumb = await download(bob.token, up.body.thumbnailUrl);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    const t = await sharp(thumb.bytes).metadata();
    expect(Math.max(t.width!, t.height!)).toBeLessThanOrEqual(320);
  });

  it('serves HTML and SVG as downloads that cannot run, whatever type the client claimed', async () => {
    const cases: Array<[string, string, string]> = [
      ['<!doctype html><script>alert(1)</script>', 'page.html', 'text/html'],
      ['<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', 'pic.svg', 'image/svg+xml'],
      ['<?xml version="1.0"?><x/>', 'doc.xml', 'application/xml'],
    ];
    for (const [content, name, expected] of cases) {
      const up = await upload(alice.token, Buffer.from(content), { name, contentType: 'image/png' });
      expect(up.body.contentType).toBe(expected);
      const got = await download(alice.token, up.body.url);
      expect(got.headers.get('content-type')).toMatch(new RegExp(`^${expected.replace('+', '\\+')}`));
      expect(got.headers.get('content-disposition')).toMatch(/^attachment;/);
      expect(got.headers.get('x-content-type-options')).toBe('nosniff');
      expect(got.headers.get('content-security-policy')).toMatch(/default-src 'none'.*sandbox/);
    }
  });

  it('refuses a file over MAX_ATTACHMENT_BYTES while streaming, leaving nothing behind', async () => {
    const before = await objectKeys(twin.objects);
    // Declared too large: refused before reading.
    const declared = await upload(alice.token, randomBytes(1024 * 1024 + 1), { name: 'big.bin' });
    expect(declared.status).toBe(413);
    // Chunked (no length): refused once the count passes the limit.
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${api.url}/api/rooms/${roomId}/attachments?name=big.bin`);
      const req = httpRequest(url, { method: 'POST', headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' } });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      let sent = 0;
      const pump = () => {
        while (sent < 4 * 1024 * 1024) {
          sent += 64 * 1024;
          if (!req.write(randomBytes(64 * 1024))) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(status).toBe(413);
    const multi = await upload(alice.token, randomBytes(1024 * 1024 + 10), { name: 'big.bin', multipart: true });
    expect(multi.status).toBe(413);
    expect(await objectKeys(twin.objects)).toEqual(before);
  });

  it('enforces the content-type allow-list and the upload budget', async () => {
    const strict = await startTestApi('pglite', {
      objects: twin.objects,
      env: { ATTACHMENT_ALLOWED_TYPES: 'image/*,application/pdf', ATTACHMENT_UPLOAD_BURST: '2', ATTACHMENT_UPLOADS_PER_MINUTE: '1' },
    });
    try {
      const user = await strict.signup('carol');
      const room = (await strict.call('POST', '/api/rooms', { token: user.token, json: { name: 'r' } })).body.id;
      const post = (body: Buffer, name: string) =>
        fetch(`${strict.url}/api/rooms/${room}/attachments?name=${name}`, { method: 'POST', headers: { authorization: `Bearer ${user.token}`, 'content-type': 'image/png' }, body });
      const refused = await post(Buffer.from('#!/bin/sh\necho hi\n'), 'x.png');
      expect(refused.status).toBe(415);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('unsupported_media_type');
      expect((await post(await jpegWithGps(10, 10), 'ok.jpg')).status).toBe(201);
      const limited = await post(await jpegWithGps(10, 10), 'ok.jpg');
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await strict.close();
    }
  });

  it('counts uploads, bytes and latency in the metrics', async () => {
    // prom-client hands out its live value objects: read the numbers now.
    const before = (await api.metrics.attachmentsUploaded.get()).values[0]?.value ?? 0;
    const bytesBefore = (await api.metrics.attachmentBytes.get()).values[0]?.value ?? 0;
    const up = await upload(alice.token, randomBytes(1234), { name: 'm.bin' });
    expect(up.status).toBe(201);
    expect((await api.metrics.attachmentsUploaded.get()).values[0]!.value).toBe(before + 1);
    expect((await api.metrics.attachmentBytes.get()).values[0]!.value).toBe(bytesBefore + 1234);
    const metrics = await api.call('GET', '/metrics');
    expect(metrics.text).toMatch(/chorus_attachment_upload_duration_seconds_count\{[^}]*\} [1-9]/);
  });

  it('with presigned downloads, redirects to the store when it can presign, and streams when it cannot', async () => {
    const presigning = await startTestApi('pglite', { objects: twin.objects, env: { S3_PRESIGNED_DOWNLOADS: 'true' } });
    try {
      const user = await presigning.signup('pat');
      const room = (await presigning.call('POST', '/api/rooms', { token: user.token, json: { name: 'r' } })).body.id;
      const data = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>');
      const up = await fetch(`${presigning.url}/api/rooms/${room}/attachments?name=x.svg`, { method: 'POST', headers: { authorization: `Bearer ${user.token}` }, body: data });
      const { url } = (await up.json()) as { url: string };
      const response = await fetch(`${presigning.url}${url}`, { headers: { authorization: `Bearer ${user.token}` }, redirect: 'manual' });
      if (_name === 's3') {
        expect(response.status).toBe(302);
        // Read the redirect's body, so the connection is idle and the server can close.
        await response.arrayBuffer();
        const direct = await fetch(response.headers.get('location')!);
        expect(direct.status).toBe(200);
        expect(Buffer.from(await direct.arrayBuffer()).equals(data)).toBe(true);
        expect(direct.headers.get('content-disposition')).toMatch(/^attachment;/);
        expect(direct.headers.get('content-type')).toBe('image/svg+xml');
      } else {
        expect(response.status).toBe(200);
        expect(Buffer.from(await response.arrayBuffer()).equals(data)).toBe(true);
      }
    } finally {
      await presigning.close();
    }
  });

  it('sanitizes path traversal and control characters in names', async () => {
    const up = await upload(alice.token, Buffer.from('hello'), { name: '../../etc/\u202Epasswd\u0000.txt' });
    expect(up.status).toBe(201);
    expect(up.body.name).toBe('passwd.txt');
    const multi = await upload(alice.token, Buffer.from('hello'), { name: '..\\..\\boot.ini', multipart: true });
    expect(multi.body.name).toBe('boot.ini');
    const keys = await objectKeys(twin.objects);
    expect(keys.every((k) => /^attachments\/[0-9a-f-]{36}\/[0-9a-f-]{36}(\.thumb)?$/.test(k))).toBe(true);
  });

  it('refuses empty uploads and multipart without a file part', async () => {
    const empty = await fetch(`${api.url}/api/rooms/${roomId}/attachments?name=x`, { method: 'POST', headers: { authorization: `Bearer ${alice.token}` } });
    expect(empty.status).toBe(400);
    const form = new FormData();
    form.append('other', 'value');
    const noFile = await fetch(`${api.url}/api/rooms/${roomId}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${alice.token}` }, body: form });
    expect(noFile.status).toBe(400);
    const reply = await api.call('POST', `/api/rooms/${roomId}/messages`, { token: alice.token, json: { attachments: ['nope'] } });
    expectError(reply, 400, 'validation_failed');
  });
});
