import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '@chorus/core';
import { startHarness, type Harness, type TestUser } from './support/harness.js';
import { RawStompClient } from './support/raw-client.js';
import { STOMP_SUBPROTOCOLS } from './support/stomp-clients.js';

const ALLOWED = 'https://chat.example';
const FOREIGN = 'https://evil.example';

/** Opens a WebSocket with the given Origin; resolves 'open' or the HTTP status of a refused upgrade. */
function upgrade(url: string, origin: string | undefined): Promise<'open' | number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, STOMP_SUBPROTOCOLS, origin ? { origin } : {});
    socket.once('open', () => {
      socket.terminate();
      resolve('open');
    });
    socket.once('unexpected-response', (_req, res: IncomingMessage) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('error', (err) => reject(err));
  });
}

describe('chat-server security defaults', () => {
  let h: Harness;
  let alice: TestUser;
  const logLines: string[] = [];
  let logger: Logger;

  beforeAll(async () => {
    logger = createLogger({ level: 'trace', name: 'security-test', destination: { write: (line: string) => void logLines.push(line) } });
    h = await startHarness({ env: { WS_ALLOWED_ORIGINS: ALLOWED }, logger });
    alice = await h.createUser('alice');
  });
  afterAll(async () => {
    await h?.close();
  });

  describe('WebSocket Origin allow-list (WS_ALLOWED_ORIGINS)', () => {
    it('refuses the /ws upgrade from a foreign Origin with 403 and accepts the allowed one', async () => {
      expect(await upgrade(h.wsUrl, FOREIGN)).toBe(403);
      expect(await upgrade(h.wsUrl, 'https://chat.example.evil.example')).toBe(403);
      expect(await upgrade(h.wsUrl, 'http://chat.example')).toBe(403);
      expect(await upgrade(h.wsUrl, ALLOWED)).toBe('open');
    });

    it('accepts clients that send no Origin (non-browser clients; browsers always send one)', async () => {
      expect(await upgrade(h.wsUrl, undefined)).toBe('open');
    });

    // sockjs echoes any Origin in its CORS headers; the gateway checks the allow-list in front of it.
    it('applies the same allow-list to SockJS (XHR and websocket transports), and lets allowed origins in', async () => {
      const session = randomBytes(4).toString('hex');
      const reply = await fetch(`${h.url}/sockjs/000/${session}/xhr`, { method: 'POST', headers: { origin: FOREIGN } });
      await reply.text();
      expect(reply.status).toBe(403);
      expect(await upgrade(`${h.wsUrl.replace('/ws', '')}/sockjs/000/${session}x/websocket`, FOREIGN)).toBe(403);
      const allowed = await fetch(`${h.url}/sockjs/000/${session}y/xhr`, { method: 'POST', headers: { origin: ALLOWED } });
      expect(allowed.status).toBe(200);
      expect(await allowed.text()).toBe('o\n');
    });
  });

  describe('logs', () => {
    it('never contain tokens, passcodes or Authorization values of a STOMP session', async () => {
      const foreign = await new SignJWT({ name: alice.username })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(alice.id)
        .setIssuer('chorus')
        .setAudience('chorus')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode('another-secret-another-secret-another-secret'));
      const room = await h.createRoom(alice);
      const viaHeader = await RawStompClient.connected(h.wsUrl, alice.token, 'heart-beat:0,0\n');
      viaHeader.send(`SUBSCRIBE\nid:0\ndestination:/topic/rooms/${room.id}\nreceipt:s\n\n\0SEND\ndestination:/app/rooms/${room.id}\nreceipt:m\n\nhello\0`);
      await viaHeader.next();
      await viaHeader.next();
      viaHeader.send(`SEND\ndestination:/nowhere\nAuthorization:Bearer ${alice.token}\n\nx\0`);
      await viaHeader.closed;
      const viaPasscode = await RawStompClient.open(h.wsUrl);
      viaPasscode.send(`CONNECT\naccept-version:1.2\nlogin:${alice.username}\npasscode:${alice.token}\n\n\0`);
      expect((await viaPasscode.next()).command).toBe('CONNECTED');
      viaPasscode.send('garbage\0');
      await viaPasscode.closed;
      const refused = await RawStompClient.open(h.wsUrl);
      refused.send(`CONNECT\naccept-version:1.2\nAuthorization:Bearer ${foreign}\n\n\0`);
      expect((await refused.next()).command).toBe('ERROR');
      await refused.closed;

      logger.info({ probe: 'capture works' }, 'end of flow');
      const output = logLines.join('');
      expect(output).toContain('capture works');
      for (const secret of [alice.token, foreign, h.config.jwt.secret, ...alice.token.split('.'), ...foreign.split('.').slice(1)]) {
        expect(output).not.toContain(secret);
      }
      expect(output).not.toMatch(/Bearer\s/);
    });
  });
});
