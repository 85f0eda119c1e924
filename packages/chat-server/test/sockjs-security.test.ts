import net from 'node:net';
import type { Client } from '@stomp/stompjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness, type TestUser } from './support/harness.js';
import { RawSockJs, request } from './support/raw-sockjs.js';
import { connectStomp, sendWithReceipt, subscribeWithReceipt } from './support/stomp-clients.js';

const MAX_BODY = 65_536;

/**
 * Sends a POST with `headers` and then body bytes, 64 KB at a time, until the server answers or
 * `totalBytes` are sent; resolves with the status line and how many bytes had been sent.
 */
function hostilePost(url: string, headers: string, totalBytes: number, chunked: boolean): Promise<{ status: string; sent: number; ms: number }> {
  const { hostname, port, pathname } = new URL(url);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let reply = '';
    let sent = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ status: reply.split('\r\n')[0] ?? '', sent, ms: Date.now() - started });
    };
    socket.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      if (reply.includes('\r\n\r\n')) finish();
    });
    socket.on('error', () => (reply ? finish() : reject(new Error('connection failed before any reply'))));
    socket.on('close', finish);
    socket.write(`POST ${pathname} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: text/plain\r\n${headers}\r\n`);
    const chunk = Buffer.alloc(65_536, 'a');
    const pump = () => {
      while (!done && sent < totalBytes) {
        const piece = chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk;
        sent += chunk.length;
        if (!socket.write(piece)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

describe('SockJS request bodies and session ownership', () => {
  let h: Harness;
  let alice: TestUser;
  let good: Client | undefined;

  beforeAll(async () => {
    h = await startHarness({ env: { SOCKJS_MAX_BODY_BYTES: String(MAX_BODY) } });
    alice = await h.createUser('alice');
  });
  afterAll(async () => {
    await good?.deactivate();
    await h?.close();
  });

  describe('bodies are limited before they are read (SOCKJS_MAX_BODY_BYTES)', () => {
    it('answers 413 to a 32 MB xhr_send, declared or chunked, without reading it, and keeps serving', async () => {
      const room = await h.createRoom(alice);
      good = await connectStomp(h.url, alice.token, { transport: 'sockjs' });
      const inbox = await subscribeWithReceipt(good, `/topic/rooms/${room.id}`);
      const victim = await RawSockJs.open(h.url, 'xhr-polling');
      const url = `${victim.base}/xhr_send`;
      const declared = await hostilePost(url, `Content-Length: ${32 * 1024 * 1024}\r\n`, 32 * 1024 * 1024, false);
      expect(declared.status).toBe('HTTP/1.1 413 Payload Too Large');
      expect(declared.sent).toBeLessThan(32 * 1024 * 1024);
      const chunked = await hostilePost(url, 'Transfer-Encoding: chunked\r\n', 32 * 1024 * 1024, true);
      expect(chunked.status).toBe('HTTP/1.1 413 Payload Too Large');
      expect(chunked.sent).toBeLessThan(32 * 1024 * 1024);
      // A body within the limit still works, and a good client was served throughout.
      expect((await victim.send(`CONNECT\naccept-version:1.2\nAuthorization:Bearer ${alice.token}\n\n\0`))?.status).toBe(204);
      expect(await victim.next()).toMatch(/^CONNECTED/);
      await sendWithReceipt(good, `/app/rooms/${room.id}`, 'still here');
      expect((await inbox.waitFor(1)).map((m) => m.text)).toEqual(['still here']);
    });

    it('closes a SockJS websocket that sends a message over the limit (1009), without buffering it', async () => {
      const client = await RawSockJs.open(h.url, 'websocket');
      client.sendRaw(JSON.stringify(['x'.repeat(MAX_BODY * 2)]));
      expect(await client.socketClosed).toBe(1009);
      const next = await RawSockJs.open(h.url, 'websocket');
      next.sendRaw(JSON.stringify([`CONNECT\naccept-version:1.2\nAuthorization:Bearer ${alice.token}\n\n\0`]));
      expect(await next.next()).toMatch(/^CONNECTED/);
      next.close();
    });

    it('answers malformed SockJS payloads with 400, never 5xx', async () => {
      const client = await RawSockJs.open(h.url, 'xhr-polling');
      for (const body of ['', 'not json', '{"a":1}', '[']) {
        const reply = await request(`${client.base}/xhr_send`, 'POST', body, { headers: { 'content-type': 'text/plain' } });
        expect(reply.status).toBe(400);
      }
      expect((await request(`${h.url}/sockjs/000/nosession/xhr_send`, 'POST', '["x"]')).status).toBe(404);
    });
  });

  describe('a session belongs to the client that opened it', () => {
    it('sets an HttpOnly session cookie on SockJS responses', async () => {
      const reply = await request(`${h.url}/sockjs/info`, 'GET');
      expect(reply.status).toBe(200);
      expect(String(reply.headers['set-cookie'])).toMatch(/^chorus-sockjs=[\w-]{22}; Path=\/sockjs; HttpOnly; SameSite=Lax$/);
    });

    it('refuses polling and xhr_send on a session from another address or without its cookie', async () => {
      const room = await h.createRoom(alice);
      const cookie = 'chorus-sockjs=victimsecret0000000000a; chorus-route=replica-1';
      const victim = await RawSockJs.open(h.url, 'xhr-polling', { headers: { cookie } });
      await victim.send(`CONNECT\naccept-version:1.2\nAuthorization:Bearer ${alice.token}\n\n\0`);
      expect(await victim.next()).toMatch(/^CONNECTED/);
      await victim.send(`SUBSCRIBE\nid:0\ndestination:/topic/rooms/${room.id}\nreceipt:s\n\n\0`);
      expect(await victim.next()).toMatch(/^RECEIPT/);

      const sessionId = victim.base.split('/').pop()!;
      const intruders = [
        { localAddress: '127.0.0.2', headers: { cookie } }, // the cookie, from another address
        { headers: {} }, // the address, without the cookie
        { headers: { cookie: 'chorus-sockjs=guess; chorus-route=replica-1' } },
        { headers: { cookie: 'chorus-sockjs=victimsecret0000000000a' } }, // without the affinity cookie it had
      ];
      for (const intruder of intruders) {
        const spy = { base: `${h.url}/sockjs/000/${sessionId}`, ...intruder };
        const poll = await request(`${spy.base}/xhr`, 'POST', undefined, intruder);
        expect(poll.status).toBe(403);
        expect(poll.body).not.toMatch(/RECEIPT|MESSAGE/);
        const send = await request(`${spy.base}/xhr_send`, 'POST', JSON.stringify([`SEND\ndestination:/app/rooms/${room.id}\n\nas the victim\0`]), {
          ...intruder,
          headers: { ...intruder.headers, 'content-type': 'text/plain' },
        });
        expect(send.status).toBe(403);
        expect((await request(`${spy.base}/xhr_streaming`, 'POST', undefined, intruder)).status).toBe(403);
      }
      expect(await h.store.lastSeq(room.id)).toBe(0);

      // The owner carries on.
      await victim.send(`SEND\ndestination:/app/rooms/${room.id}\nreceipt:r\n\nmine\0`);
      const frames = [await victim.next(), await victim.next()].join('');
      expect(frames).toMatch(/RECEIPT/);
      expect(frames).toMatch(/"text":"mine"/);
      const stored = await h.store.listMessages(room.id, { after: 0, limit: 5 });
      expect(stored.map((m) => [m.text, m.sender.id])).toEqual([['mine', alice.id]]);
    });

    it('behind TRUST_PROXY, knows a client by the address its proxies forward, whichever proxy it comes through', async () => {
      // Two ingress pods (127.0.0.2 and 127.0.0.3) in front of the server, both trusted.
      const proxied = await startHarness({ env: { TRUST_PROXY: '127.0.0.0/8' } });
      try {
        const user = await proxied.createUser('proxied');
        const room = await proxied.createRoom(user);
        const cookie = 'chorus-sockjs=proxiedsecret000000000a';
        const viaFirst = { localAddress: '127.0.0.2', headers: { cookie, 'x-forwarded-for': '203.0.113.7' } };
        const owner = await RawSockJs.open(proxied.url, 'xhr-polling', viaFirst);
        await owner.send(`CONNECT\naccept-version:1.2\nAuthorization:Bearer ${user.token}\n\n\0`);
        expect(await owner.next()).toMatch(/^CONNECTED/);
        const base = owner.base;

        // The same client through the other proxy: served.
        const viaSecond = { localAddress: '127.0.0.3', headers: { cookie, 'x-forwarded-for': '203.0.113.7', 'content-type': 'text/plain' } };
        const sent = await request(`${base}/xhr_send`, 'POST', JSON.stringify([`SEND\ndestination:/app/rooms/${room.id}\nreceipt:r\n\nvia the second proxy\0`]), viaSecond);
        expect(sent.status).toBe(204);
        expect(await owner.next()).toMatch(/RECEIPT|MESSAGE/);

        // Another client (another forwarded address), with the stolen cookie: refused.
        const other = { localAddress: '127.0.0.3', headers: { cookie, 'x-forwarded-for': '198.51.100.9', 'content-type': 'text/plain' } };
        const stolen = await request(`${base}/xhr_send`, 'POST', JSON.stringify([`SEND\ndestination:/app/rooms/${room.id}\n\nas the victim\0`]), other);
        expect(stolen.status).toBe(403);
        expect((await proxied.store.listMessages(room.id, { after: 0, limit: 5 })).map((m) => m.text)).toEqual(['via the second proxy']);
      } finally {
        await proxied.close();
      }
    });
  });
});
