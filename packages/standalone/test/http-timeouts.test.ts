import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChorus, type RunningChorus } from '../src/index.js';

const REQUEST_TIMEOUT_MS = 1000;
const HEADERS_TIMEOUT_MS = 600;

/** Resolves with how long the server took to close the socket (and what it answered). */
function closed(socket: Socket, started: number): Promise<{ ms: number; answer: string }> {
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
  socket.on('error', () => {});
  return new Promise((resolve) => socket.once('close', () => resolve({ ms: Date.now() - started, answer })));
}

/** Writes one byte every `everyMs` until the socket closes. */
function trickle(socket: Socket, everyMs: number): void {
  const timer = setInterval(() => {
    if (socket.destroyed || !socket.writable) clearInterval(timer);
    else socket.write('a');
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

/**
 * HTTP_REQUEST_TIMEOUT_MS and HTTP_HEADERS_TIMEOUT_MS on the one server of the standalone process
 * (api and gateway share it): slow requests are cut off, long-lived SockJS answers and WebSockets
 * are not.
 */
describe('HTTP request and header timeouts', () => {
  let chorus: RunningChorus;
  let dataDir: string;
  let port: number;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'chorus-timeouts-'));
    chorus = await startChorus({
      env: {
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
        NODE_ENV: 'test',
        HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      },
    });
    port = chorus.port;
  });
  afterAll(async () => {
    await chorus?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('closes a request whose declared body trickles in, within the request timeout', async () => {
    const sockets = Array.from({ length: 20 }, () => connect(port, '127.0.0.1'));
    await Promise.all(sockets.map((s) => once(s, 'connect')));
    const started = Date.now();
    const results = sockets.map((s) => closed(s, started));
    for (const socket of sockets) {
      socket.write('POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
      trickle(socket, 100);
    }
    for (const { ms, answer } of await Promise.all(results)) {
      // Node checks for expired requests every quarter of the shortest timeout.
      expect(ms).toBeLessThan(REQUEST_TIMEOUT_MS + 1500);
      expect(answer === '' || answer.startsWith('HTTP/1.1 408'), answer).toBe(true);
    }
    // The server still answers everyone else.
    expect((await fetch(`${chorus.url}/healthz`)).status).toBe(200);
  });

  it('closes a request whose headers trickle in, within the headers timeout', async () => {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const started = Date.now();
    const result = closed(socket, started);
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    trickle(socket, 50);
    const { ms } = await result;
    expect(ms).toBeLessThan(HEADERS_TIMEOUT_MS + 1500);
  });

  it('keeps a SockJS xhr_streaming answer and a WebSocket open well past the request timeout', async () => {
    const session = `timeouts${Date.now()}`;
    const stream = await fetch(`${chorus.url}/sockjs/000/${session}/xhr_streaming`, { method: 'POST' });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    const readUntil = async (predicate: (text: string) => boolean) => {
      while (!predicate(received)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended; received ${JSON.stringify(received)}`);
        received += decoder.decode(value, { stream: true });
      }
    };
    await readUntil((text) => text.includes('o\n'));

    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['v12.stomp']);
    await once(ws, 'open');
    const wsClosed = once(ws, 'close');

    // The point of the test is time passing: both must outlive the request timeout.
    await delay(REQUEST_TIMEOUT_MS * 2.5);

    // The stream still carries frames: a CONNECT without a token is answered with an ERROR frame on it.
    const send = await fetch(`${chorus.url}/sockjs/000/${session}/xhr_send`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify(['CONNECT\naccept-version:1.2\nhost:x\n\n\u0000']),
    });
    expect(send.status).toBe(204);
    await readUntil((text) => text.includes('ERROR'));
    await reader.cancel();

    // The WebSocket was still open (the 10 s CONNECT deadline closes it later, not the HTTP timeouts).
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
    await wsClosed;
  });
});
