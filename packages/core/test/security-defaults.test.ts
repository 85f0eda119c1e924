import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createLogger, DUMMY_PASSWORD_HASH, hashPassword, loadConfig, PUBLIC_JWT_SECRETS, TokenService, verifyPassword } from '../src/index.js';
import { toStoreError } from '../src/store/sql-errors.js';

describe('security defaults (core)', () => {
  describe('passwords', () => {
    it('are hashed with scrypt at N=2^15, r=8, p=1 and a random 16-byte salt', async () => {
      const hash = await hashPassword('correct horse battery staple');
      const [kdf, n, r, p, salt, key] = hash.split('$');
      expect({ kdf, n, r, p }).toEqual({ kdf: 'scrypt', n: '32768', r: '8', p: '1' });
      expect(Buffer.from(salt!, 'base64url')).toHaveLength(16);
      expect(Buffer.from(key!, 'base64url')).toHaveLength(32);
      expect(128 * Number(n) * Number(r)).toBeGreaterThanOrEqual(32 * 1024 * 1024); // memory-hard: 32 MiB per hash
      expect(await hashPassword('correct horse battery staple')).not.toBe(hash);
      expect(hash).not.toContain('correct');
    });

    it('verify only the right password, and refuse malformed stored hashes', async () => {
      const hash = await hashPassword('pässwörd ﬁ'); // NFKC: the ligature and its letters are one password
      expect(await verifyPassword('pässwörd ﬁ', hash)).toBe(true);
      expect(await verifyPassword('pässwörd fi', hash)).toBe(true);
      expect(await verifyPassword('passwörd fi', hash)).toBe(false);
      for (const stored of ['', 'plain', 'scrypt$1$2$3', `bcrypt$${hash.slice(7)}`]) expect(await verifyPassword('x', stored)).toBe(false);
    });

    it('use the same parameters for the dummy hash that unknown logins are checked against', async () => {
      const real = (await hashPassword('x')).split('$').slice(0, 4).join('$');
      expect(DUMMY_PASSWORD_HASH.split('$').slice(0, 4).join('$')).toBe(real);
      expect(await verifyPassword('anything', DUMMY_PASSWORD_HASH)).toBe(false);
    });
  });

  describe('tokens', () => {
    const options = { secret: 'a-test-secret-that-is-long-enough-0123', issuer: 'chorus', audience: 'chorus', ttlSeconds: 60 };
    const tokens = new TokenService(options);
    const key = new TextEncoder().encode(options.secret);

    it('carry an expiry, issuer and audience, HS256', async () => {
      const token = await tokens.issue({ userId: randomUUID(), username: 'alice' });
      const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;
      const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, number | string>;
      expect(header['alg']).toBe('HS256');
      expect(payload).toMatchObject({ iss: 'chorus', aud: 'chorus', name: 'alice' });
      expect(Number(payload['exp']) - Number(payload['iat'])).toBe(60);
    });

    it.each([
      ['another issuer', (t: SignJWT) => t.setIssuer('other').setAudience('chorus').setExpirationTime('1h'), 'unauthorized'],
      ['another audience', (t: SignJWT) => t.setIssuer('chorus').setAudience('other').setExpirationTime('1h'), 'unauthorized'],
      ['no expiry', (t: SignJWT) => t.setIssuer('chorus').setAudience('chorus'), 'unauthorized'],
      ['an expired one', (t: SignJWT) => t.setIssuer('chorus').setAudience('chorus').setExpirationTime(Math.floor(Date.now() / 1000) - 10), 'token_expired'],
    ])('refuse %s', async (_name, build, code) => {
      const token = await build(new SignJWT({ name: 'x' }).setProtectedHeader({ alg: 'HS256' }).setSubject(randomUUID())).sign(key);
      await expect(tokens.verify(token)).rejects.toMatchObject({ code });
    });

    it('refuse alg:none and another algorithm, even with the right key', async () => {
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const claims = { sub: randomUUID(), name: 'x', iss: 'chorus', aud: 'chorus', exp: Math.floor(Date.now() / 1000) + 60 };
      await expect(tokens.verify(`${b64({ alg: 'none' })}.${b64(claims)}.`)).rejects.toMatchObject({ code: 'unauthorized' });
      const hs512 = await new SignJWT({ name: 'x' }).setProtectedHeader({ alg: 'HS512' }).setSubject(randomUUID()).setIssuer('chorus').setAudience('chorus').setExpirationTime('1h').sign(key);
      await expect(tokens.verify(hs512)).rejects.toMatchObject({ code: 'unauthorized' });
    });
  });

  describe('configuration', () => {
    it('refuses to start with a published JWT secret, however it is padded', () => {
      expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
      for (const secret of PUBLIC_JWT_SECRETS) expect(() => loadConfig({ JWT_SECRET: ` ${secret}  ` })).toThrow(/JWT_SECRET/);
      expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'short' })).toThrow(/JWT_SECRET/);
      expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(48) }).jwt.secret).toBe('p'.repeat(48));
    });

    it('has bounded request bodies, frames and login attempts by default, and no CORS or WebSocket origins open', () => {
      const config = loadConfig({ NODE_ENV: 'test' });
      expect(config.trustProxy).toEqual([]);
      expect(config.http.requestTimeoutMs).toBeGreaterThan(0);
      expect(config.limits.maxBodyBytes).toBe(65_536);
      expect(config.limits.maxFrameBytes).toBe(65_536);
      expect(config.limits.loginAttemptsPerMinute).toBe(10);
      expect(config.limits.replayBufferBytes).toBe(16_777_216);
      expect(config.limits.maxOpenTransactions).toBe(4);
      expect(config.limits.transactionMaxFrames).toBe(100);
      expect(config.limits.transactionMaxBytes).toBe(262_144);
      expect(config.limits.sockjsMaxBodyBytes).toBe(4 * 65_536);
      expect(config.jwt.ttlSeconds).toBe(86_400);
      expect(config.corsOrigins).toEqual([]);
      expect(config.wsAllowedOrigins).toEqual([]);
    });
  });

  describe('logs', () => {
    it('redact passwords, tokens, passcodes and Authorization headers', () => {
      const lines: string[] = [];
      const logger = createLogger({ level: 'info', name: 'redact-test', destination: { write: (line: string) => void lines.push(line) } });
      logger.info({ password: 'pw-1', token: 'tok-1', passcode: 'pass-1', body: { password: 'pw-2', token: 'tok-2' } }, 'flat and nested');
      logger.info({ req: { headers: { authorization: 'Bearer tok-3' } }, headers: { authorization: 'Bearer tok-4' } }, 'headers');
      const output = lines.join('');
      expect(output).toContain('[redacted]');
      for (const secret of ['pw-1', 'pw-2', 'tok-1', 'tok-2', 'tok-3', 'tok-4', 'pass-1']) expect(output).not.toContain(secret);
    });

    it('redact query-string tokens in URLs and messages, Cookie and Authorization headers, and inline bearer values', () => {
      const lines: string[] = [];
      const logger = createLogger({ level: 'info', name: 'redact-test', destination: { write: (line: string) => void lines.push(line) } });
      logger.info({ url: '/sockjs/1/2/websocket?access_token=tok-5&room=r' }, 'url field');
      logger.warn('sockjs error on /sockjs/info?token=tok-6 from client');
      logger.warn({ sockjs: 'GET /x?jwt=tok-7' }, 'request failed: Authorization: Bearer tok-8');
      logger.info({ req: { headers: { cookie: 'session=tok-9', 'proxy-authorization': 'Basic tok-10' } }, headers: { cookie: 'c=tok-11' } }, 'headers');
      const output = lines.join('');
      expect(output).toContain('access_token=[redacted]&room=r');
      for (const secret of ['tok-5', 'tok-6', 'tok-7', 'tok-8', 'tok-9', 'tok-10', 'tok-11']) expect(output).not.toContain(secret);
    });
  });

  describe('error logs', () => {
    it('keep the message and code but not the pg connection that pg-pool hangs on idle errors', () => {
      const lines: string[] = [];
      const logger = createLogger({ level: 'info', name: 'err-test', destination: { write: (line: string) => void lines.push(line) } });
      const client = { parsedStatements: { chorus_append: 'WITH input AS (SELECT 1)' }, processID: 4242 };
      logger.warn({ err: Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01', client }) }, 'idle connection failed');
      const line = JSON.parse(lines.join('')) as { err: Record<string, unknown> };
      expect(line.err).toMatchObject({ message: 'terminating connection due to administrator command', code: '57P01', type: 'Error' });
      expect(line.err).not.toHaveProperty('client');
      expect(lines.join('')).not.toContain('parsedStatements');
    });
  });

  describe('database errors', () => {
    it('never carry the driver message (SQL, internals) to the client; it stays in the cause', () => {
      const pgError = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
      const mapped = toStoreError(pgError) as Error & { code: string; cause: unknown };
      expect(mapped).toMatchObject({ code: 'bad_request', message: 'text must not contain NUL characters' });
      expect(mapped.cause).toBe(pgError);
      const other = toStoreError(Object.assign(new Error('value too long for type character varying(100) in "SELECT ..."'), { code: '22001' })) as Error;
      expect(other.message).toBe('value too long');
      const check = toStoreError(Object.assign(new Error('new row for relation "devices" violates check constraint "devices_platform_check"'), { code: '23514' })) as Error;
      expect(check.message).toBe('invalid value');
    });
  });
});
