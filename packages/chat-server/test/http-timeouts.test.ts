import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';

/** The chat-server's own HTTP server (ops + SockJS) cuts off requests whose body trickles in. */
describe('chat-server HTTP request timeout', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { HTTP_REQUEST_TIMEOUT_MS: '800', HTTP_HEADERS_TIMEOUT_MS: '400' } });
  });
  afterAll(() => h?.close());

  it('closes a SockJS xhr_send whose declared body never finishes arriving', async () => {
    // An open session, so that xhr_send reads its body.
    const opened = await fetch(`${h.url}/sockjs/000/slow/xhr`, { method: 'POST' });
    expect(await opened.text()).toBe('o\n');
    const { port } = new URL(h.url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => {});
    await once(socket, 'connect');
    const started = Date.now();
    socket.write('POST /sockjs/000/slow/xhr_send HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 500\r\n\r\n[');
    const timer = setInterval(() => socket.writable && socket.write('a'), 100);
    // Not events.once: it would reject on the EPIPE of a write racing the server's close.
    await new Promise((resolve) => socket.once('close', resolve));
    clearInterval(timer);
    expect(Date.now() - started).toBeLessThan(800 + 1500);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  });
});
