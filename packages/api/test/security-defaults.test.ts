import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@chorus/core';
import { expectError, startTestApi, type Reply, type TestApi, type TestUser } from './support.js';

/** A raw HTTP request, for what fetch refuses to send (a malformed URL). */
function rawGet(url: string, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = httpRequest({ host: target.hostname, port: target.port, path, method: 'GET' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(name, value);
        resolve({ status: res.statusCode ?? 0, headers, text, body: text ? (JSON.parse(text) as unknown) : undefined });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('REST security defaults and regressions', () => {
  let api: TestApi;
  let alice: TestUser;
  const logLines: string[] = [];

  beforeAll(async () => {
    const logger = createLogger({ level: 'trace', name: 'api-security-test', destination: { write: (line: string) => void logLines.push(line) } });
    api = await startTestApi('pglite', { logger });
    alice = await api.signup('alice');
  });
  afterAll(async () => {
    await api?.close();
  });

  describe('errors found by fuzzing (regressions)', () => {
    it('a NUL character is a clear 400 that does not quote the database', async () => {
      const room = await api.call('POST', '/api/rooms', { token: alice.token, json: { name: 'ok' } });
      const replies = [
        await api.call('POST', '/api/rooms', { token: alice.token, json: { name: 'a\u0000b' } }),
        await api.call('POST', '/api/devices', { token: alice.token, json: { token: 'a\u0000b', platform: 'web' } }),
        await api.call('DELETE', '/api/devices/a%00b', { token: alice.token }),
        await api.call('GET', '/api/search?q=a%00b', { token: alice.token }),
        await api.call('POST', '/api/auth/login', { json: { login: 'a\u0000', password: 'x' } }),
        await api.call('POST', `/api/rooms/${room.body.id}/messages`, { token: alice.token, json: { text: 'x\u0000' } }),
      ];
      for (const reply of replies) {
        expect(expectError(reply, 400, 'bad_request')).toMatch(/NUL/);
        expect(reply.text).not.toMatch(/byte sequence|UTF8|0x00|encoding/);
      }
      expect((await api.store.listDevices(alice.id)).map((d) => d.token)).not.toContain('a\u0000b');
    });

    it('text with an unpaired UTF-16 surrogate is refused, not stored as U+FFFD', async () => {
      const room = await api.call('POST', '/api/rooms', { token: alice.token, json: { name: 'surrogates' } });
      const lastSeq = await api.store.lastSeq(room.body.id);
      for (const bad of ['\ud800', 'x\udfffy', 'emoji cut in half \ud83d']) {
        const message = expectError(await api.call('POST', `/api/rooms/${room.body.id}/messages`, { token: alice.token, json: { text: bad } }), 400, 'bad_request');
        expect(message).toMatch(/text must be valid Unicode/);
        expect(expectError(await api.call('POST', '/api/rooms', { token: alice.token, json: { name: bad } }), 400, 'bad_request')).toMatch(/name must be valid Unicode/);
      }
      expect(await api.store.lastSeq(room.body.id)).toBe(lastSeq);
      const ok = await api.call('POST', `/api/rooms/${room.body.id}/messages`, { token: alice.token, json: { text: 'a whole emoji \ud83d\ude00' } });
      expect(ok.status).toBe(201);
      expect(ok.body.text).toBe('a whole emoji 😀');
    });

    it('a URL that is not validly percent-encoded gets the error shape', async () => {
      const reply = await rawGet(api.url, '/api/devices/%');
      expectError(reply, 400, 'bad_request');
      expectError(await rawGet(api.url, '/api/rooms/%E0%A4%A'), 400, 'bad_request');
    });

    it('a URL or headers over the HTTP size limit get the error shape (431)', async () => {
      const reply = await api.call('GET', `/api/rooms?cursor=${'x'.repeat(20_000)}`, { token: alice.token });
      expectError(reply, 431, 'headers_too_large');
      // The server is fine afterwards.
      expect((await api.call('GET', '/healthz')).status).toBe(200);
    });
  });

  describe('headers', () => {
    it('sends helmet security headers and no X-Powered-By', async () => {
      const reply = await fetch(`${api.url}/api/me`, { headers: { authorization: `Bearer ${alice.token}` } });
      expect(reply.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
      expect(reply.headers.get('referrer-policy')).toBe('no-referrer');
      expect(reply.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(reply.headers.get('content-security-policy')).toContain("frame-ancestors 'self'");
      expect(reply.headers.get('x-powered-by')).toBeNull();
    });
  });

  describe('logs', () => {
    it('never contain passwords, tokens, Authorization values or device tokens of a sign-up/login/devices flow', async () => {
      logLines.length = 0;
      const user = await api.signup('logcheck');
      const login = await api.call('POST', '/api/auth/login', { json: { login: user.username, password: user.password } });
      expect(login.status).toBe(200);
      await api.call('POST', '/api/auth/login', { json: { login: user.username, password: 'wrong-password-123' } });
      await api.call('GET', '/api/me', { token: login.body.token });
      await api.call('GET', '/api/me', { token: `${login.body.token}x` });
      await api.call('GET', '/api/me', { headers: { authorization: `Bearer ${login.body.token}`, cookie: 'session=abc' } });
      const device = `fcm-${user.username}-registration-token`;
      expect((await api.call('POST', '/api/devices', { token: user.token, json: { token: device, platform: 'web' } })).status).toBe(200);
      expect((await api.call('DELETE', `/api/devices/${device}`, { token: user.token })).status).toBe(204);
      const output = logLines.join('');
      expect(output).toContain('incoming request'); // the capture works
      expect(output).toContain('/api/devices/[redacted]');
      for (const secret of [user.password, 'wrong-password-123', user.token, login.body.token, ...String(login.body.token).split('.'), api.config.jwt.secret, device]) {
        expect(output).not.toContain(secret);
      }
      expect(output).not.toMatch(/Bearer\s|scrypt\$/);
    });

    it('redact credentials passed in query strings and Cookie headers, also in error logs', async () => {
      logLines.length = 0;
      const token = alice.token;
      await api.call('GET', `/api/me?access_token=${token}&x=1`);
      await api.call('GET', `/api/rooms?token=${token}`, { token });
      await api.call('GET', `/no-such-route?jwt=${token}`, { headers: { cookie: `session=${token}` } });
      await api.call('GET', `/api/me?ACCESS%5Ftoken=${token}`);
      await api.call('GET', `/api/me?a=1;passcode=${token}`);
      const output = logLines.join('');
      expect(output).toContain('access_token=[redacted]');
      for (const part of [token, ...token.split('.')]) expect(output).not.toContain(part);
    });
  });
});
