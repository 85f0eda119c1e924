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

/**
 * Opens a WebSocket with the given Origin; resolves 'open' (the server left it open), the close
 * code and reason when the server closed it at once, or the HTTP status of a refused upgrade.
 */
function upgrade(url: string, origin: string | undefined, headers: Record<string, string> = {}): Promise<'open' | number | string> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, STOMP_SUBPROTOCOLS, { ...(origin ? { origin } : {}), headers });
    socket.once('open', () => {
      // A refused origin is closed right after the handshake; an accepted socket waits for CONNECT.
      const timer = setTimeout(() => {
        socket.terminate();
        resolve('open');
      }, 300);
      socket.once('close', (code, reason) => {
        clearTimeout(timer);
        resolve(`${code} ${reason.toString()}`);
      });
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
    it('closes a /ws socket from a foreign Origin at once with 1008 and a reason a page can show, and accepts the allowed one', async () => {
      const refused = `1008 origin not allowed: ${FOREIGN} (WS_ALLOWED_ORIGINS)`;
      expect(await upgrade(h.wsUrl, FOREIGN)).toBe(refused);
      expect(await upgrade(h.wsUrl, 'https://chat.example.evil.example')).toMatch(/^1008 origin not allowed/);
      expect(await upgrade(h.wsUrl, 'http://chat.example')).toMatch(/^1008 origin not allowed/);
      expect(await upgrade(h.wsUrl, ALLOWED)).toBe('open');
    });

    it("always allows the server's own origin (Chorus's web client), whatever the list says", async () => {
      const own = h.url; // http://127.0.0.1:<port>, the Host the socket connects to
      expect(await upgrade(h.wsUrl, own)).toBe('open');
      // A page elsewhere that merely claims the same host name on another port is not the server.
      expect(await upgrade(h.wsUrl, own.replace(/:\d+$/, ':1'))).toMatch(/^1008 origin not allowed/);
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
