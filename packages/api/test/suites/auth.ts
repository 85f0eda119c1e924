import { randomUUID } from 'node:crypto';
import { TokenService } from '@chorus/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectError, randomName, type TestApi, type TestUser } from '../support.js';

export function authSuite(getApi: () => TestApi): void {
  let api: TestApi;
  let alice: TestUser;

  beforeAll(async () => {
    api = getApi();
    alice = await api.signup('alice');
  });

  describe('POST /api/auth/signup', () => {
    it('creates the user and returns only public fields with a working token', async () => {
      const username = randomName('Sign.up-');
      const reply = await api.call('POST', '/api/auth/signup', {
        json: { username, email: `${username}@example.test`, password: 'correct horse battery' },
      });
      expect(reply.status).toBe(201);
      expect(reply.body).toEqual({
        user: { id: expect.any(String), username, email: `${username}@example.test` },
        token: expect.any(String),
      });
      expect(reply.text).not.toMatch(/passwordHash|scrypt|isAdmin/);
      const stored = await api.store.getUser(reply.body.user.id);
      expect(stored?.username).toBe(username);

      const me = await api.call('GET', '/api/me', { token: reply.body.token });
      expect(me.status).toBe(200);
      expect(me.body).toEqual(reply.body.user);
    });

    it.each([
      ['a username that is too short', { username: 'ab' }, 'body.username'],
      ['a username that is too long', { username: 'x'.repeat(33) }, 'body.username'],
      ['a username with a space', { username: 'bad name' }, 'body.username'],
      ['an invalid email', { email: 'not-an-email' }, 'body.email'],
      ['a password that is too short', { password: 'short' }, 'body.password'],
      ['a password that is too long', { password: 'p'.repeat(257) }, 'body.password'],
      ['a username that is not a string', { username: 12345 }, 'body.username'],
      ['an unknown field', { isAdmin: true }, 'body.isAdmin'],
    ])('rejects %s with 400 naming the field', async (_case, override, field) => {
      const username = randomName('v');
      const body = { username, email: `${username}@example.test`, password: 'long enough password', ...override };
      const reply = await api.call('POST', '/api/auth/signup', { json: body });
      const message = expectError(reply, 400, 'validation_failed');
      expect(message).toContain(field);
      expect(await api.store.findCredentials(body.email as string)).toBeNull();
    });

    it('rejects a missing field with 400 naming it', async () => {
      const reply = await api.call('POST', '/api/auth/signup', { json: { username: randomName('m'), password: 'long enough password' } });
      expect(expectError(reply, 400, 'validation_failed')).toContain('body.email');
    });

    it('rejects a body that is not an object', async () => {
      expectError(await api.call('POST', '/api/auth/signup', { json: ['alice'] }), 400, 'validation_failed');
      expectError(await api.call('POST', '/api/auth/signup'), 400, 'validation_failed');
    });

    it('rejects malformed JSON with 400 bad_request', async () => {
      expectError(await api.call('POST', '/api/auth/signup', { raw: '{"username": "x",' }), 400, 'bad_request');
    });

    it('rejects a non-JSON content type with 415', async () => {
      const reply = await api.call('POST', '/api/auth/signup', { raw: 'username=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expectError(reply, 415, 'unsupported_media_type');
    });

    it('rejects a body over the size limit with 413', async () => {
      const reply = await api.call('POST', '/api/auth/signup', {
        json: { username: randomName('big'), email: 'big@example.test', password: 'p'.repeat(api.config.limits.maxBodyBytes) },
      });
      expectError(reply, 413, 'payload_too_large');
    });

    it('answers 409 for a username or email already taken', async () => {
      const sameName = await api.call('POST', '/api/auth/signup', {
        json: { username: alice.username, email: `${randomName('other')}@example.test`, password: 'long enough password' },
      });
      expectError(sameName, 409, 'conflict');
      const sameEmail = await api.call('POST', '/api/auth/signup', {
        json: { username: randomName('other'), email: alice.email, password: 'long enough password' },
      });
      expectError(sameEmail, 409, 'conflict');
    });
  });

  describe('POST /api/auth/login', () => {
    it('logs in by username or by email', async () => {
      for (const login of [alice.username, alice.email]) {
        const reply = await api.call('POST', '/api/auth/login', { json: { login, password: alice.password } });
        expect(reply.status).toBe(200);
        expect(reply.body.user).toEqual({ id: alice.id, username: alice.username, email: alice.email });
        const me = await api.call('GET', '/api/me', { token: reply.body.token });
        expect(me.body.id).toBe(alice.id);
      }
    });

    it('answers the same 401 for a wrong password and an unknown user', async () => {
      const wrong = await api.call('POST', '/api/auth/login', { json: { login: alice.username, password: 'not the password' } });
      const unknown = await api.call('POST', '/api/auth/login', { json: { login: randomName('ghost'), password: 'whatever password' } });
      const wrongMessage = expectError(wrong, 401, 'unauthorized');
      expect(expectError(unknown, 401, 'unauthorized')).toBe(wrongMessage);
    });

    it('validates the body', async () => {
      expect(expectError(await api.call('POST', '/api/auth/login', { json: { login: alice.username } }), 400, 'validation_failed')).toContain(
        'body.password',
      );
      expectError(await api.call('POST', '/api/auth/login', { json: { login: '', password: 'x' } }), 400, 'validation_failed');
      expectError(
        await api.call('POST', '/api/auth/login', { json: { login: alice.username, password: alice.password, remember: true } }),
        400,
        'validation_failed',
      );
    });

    it('rate limits attempts per IP and login with 429 and Retry-After', async () => {
      const victim = randomName('victim');
      const attempt = (login: string, ip?: string) =>
        api.call('POST', '/api/auth/login', {
          json: { login, password: 'guessing password' },
          ...(ip ? { headers: { 'x-forwarded-for': ip } } : {}),
        });
      for (let i = 0; i < api.config.limits.loginAttemptsPerMinute; i++) {
        expectError(await attempt(victim), 401, 'unauthorized');
      }
      const limited = await attempt(victim);
      expectError(limited, 429, 'rate_limited');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      // Case does not give a fresh budget.
      expectError(await attempt(victim.toUpperCase()), 429, 'rate_limited');

      // Other logins from the same address are not limited; X-Forwarded-For is not believed
      // without TRUST_PROXY, so it gives no fresh budget either.
      expectError(await attempt(randomName('bystander')), 401, 'unauthorized');
      expectError(await attempt(victim, '10.1.2.3'), 429, 'rate_limited');
      const ok = await api.call('POST', '/api/auth/login', { json: { login: alice.username, password: alice.password } });
      expect(ok.status).toBe(200);
    });
  });

  describe('GET /api/me and authentication', () => {
    it('returns the current user', async () => {
      const reply = await api.call('GET', '/api/me', { token: alice.token });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ id: alice.id, username: alice.username, email: alice.email });
    });

    it('answers 401 without a token, with a malformed header and with a garbage token', async () => {
      expectError(await api.call('GET', '/api/me'), 401, 'unauthorized');
      expectError(await api.call('GET', '/api/me', { headers: { authorization: `Basic ${alice.token}` } }), 401, 'unauthorized');
      expectError(await api.call('GET', '/api/me', { token: 'not.a.jwt' }), 401, 'unauthorized');
      expectError(await api.call('GET', '/api/me', { token: `${alice.token}x` }), 401, 'unauthorized');
    });

    it('answers 401 token_expired for an expired token', async () => {
      const expired = await new TokenService({ ...api.config.jwt, ttlSeconds: -60 }).issue({ userId: alice.id, username: alice.username });
      expectError(await api.call('GET', '/api/me', { token: expired }), 401, 'token_expired');
    });

    it('answers 401 for a token signed with another secret, issuer or audience', async () => {
      for (const change of [{ secret: 'another-secret-that-is-long-enough-0000' }, { issuer: 'someone-else' }, { audience: 'other-app' }]) {
        const forged = await new TokenService({ ...api.config.jwt, ...change }).issue({ userId: alice.id, username: alice.username });
        expectError(await api.call('GET', '/api/me', { token: forged }), 401, 'unauthorized');
      }
    });

    it('answers 401 for a valid token of a user that does not exist', async () => {
      const token = await api.tokens.issue({ userId: randomUUID(), username: 'nobody' });
      expectError(await api.call('GET', '/api/me', { token }), 401, 'unauthorized');
    });
  });
}
