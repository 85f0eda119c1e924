import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, PUBLIC_JWT_SECRETS } from '../src/index.js';

const scratch = mkdtempSync(join(tmpdir(), 'chorus-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const TEST = { NODE_ENV: 'test' };

describe('loadConfig', () => {
  it('has working defaults for the embedded start', () => {
    const config = loadConfig(TEST);
    expect(config).toMatchObject({ port: 8080, host: '0.0.0.0', dataDir: './data', databaseUrl: undefined, redisUrl: undefined, trustProxy: [] });
    expect(config.http).toEqual({ requestTimeoutMs: 30_000, headersTimeoutMs: 10_000 });
    expect(config.limits.maxMessageLength).toBe(4000);
    expect({ inFlight: config.appendCommitsInFlight, minConcurrent: config.appendMinConcurrentBatch, linger: config.appendLingerMs }).toEqual({ inFlight: 2, minConcurrent: 16, linger: 0 });
    expect(loadConfig({ ...TEST, APPEND_LINGER_MS: '5' }).appendLingerMs).toBe(5);
    // The earlier name still counts; the new one wins where both are set.
    expect(loadConfig({ ...TEST, APPEND_COMMIT_LANES: '4' }).appendCommitsInFlight).toBe(4);
    expect(loadConfig({ ...TEST, APPEND_COMMIT_LANES: '4', APPEND_COMMITS_IN_FLIGHT: '6' }).appendCommitsInFlight).toBe(6);
  });

  it.each([
    ['PORT', '99999', /PORT: expected 0..65535/],
    ['PORT', 'eighty', /PORT: expected an integer/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL: expected a postgres: or postgresql: URL/],
    ['REDIS_URL', 'not a url', /REDIS_URL: not a valid URL/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL: expected one of/],
    ['PUSH_PREVIEWS', 'maybe', /PUSH_PREVIEWS: expected true or false/],
    ['JWT_SECRET', 'short', /JWT_SECRET: must be at least 32 characters/],
    ['TRUST_PROXY', '10.0.0.0/99', /TRUST_PROXY: expected addresses, CIDRs/],
    ['TRUST_PROXY', 'everyone', /TRUST_PROXY: expected addresses, CIDRs/],
    ['HTTP_HEADERS_TIMEOUT_MS', '40000', /HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS/],
    ['APPEND_LINGER_MS', '101', /APPEND_LINGER_MS: expected 0..100/],
    ['APPEND_COMMIT_LANES', '0', /APPEND_COMMIT_LANES: expected 1..200/],
    ['APPEND_COMMIT_LANES', 'two', /APPEND_COMMIT_LANES: expected an integer/],
    ['APPEND_COMMITS_IN_FLIGHT', '201', /APPEND_COMMITS_IN_FLIGHT: expected 1..200/],
    ['APPEND_MIN_CONCURRENT_BATCH', '0', /APPEND_MIN_CONCURRENT_BATCH: expected 1..512/],
  ])('rejects %s=%s naming the variable', (name, value, message) => {
    expect(() => loadConfig({ ...TEST, [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...TEST, [name]: value })).toThrow(message);
  });

  it('leaves the STOMP-over-TCP listener off unless STOMP_TCP_PORT is set', () => {
    expect(loadConfig({ ...TEST }).stompTcpPort).toBeUndefined();
    expect(loadConfig({ ...TEST, STOMP_TCP_PORT: '61613' }).stompTcpPort).toBe(61613);
    expect(loadConfig({ ...TEST, STOMP_TCP_PORT: '0' }).stompTcpPort).toBe(0);
    expect(() => loadConfig({ ...TEST, STOMP_TCP_PORT: '70000' })).toThrow(/STOMP_TCP_PORT: expected 0..65535/);
  });

  it('parses TRUST_PROXY into addresses, CIDRs and range names', () => {
    expect(loadConfig({ ...TEST, TRUST_PROXY: '10.0.0.0/8, fd00::/8,127.0.0.1,loopback' }).trustProxy).toEqual(['10.0.0.0/8', 'fd00::/8', '127.0.0.1', 'loopback']);
  });

  it('requires JWT_SECRET in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET: must be set in production/);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) }).jwt).toMatchObject({ secret: 'x'.repeat(40) });
  });

  it('refuses every JWT secret published in the repository, in every mode, however it is padded', () => {
    // The dev overlay once carried a literal secret: it is in the list, like the old defaults.
    expect(PUBLIC_JWT_SECRETS).toEqual(expect.arrayContaining(['chorus-development-secret-change-me-0000', 'chorus-dev-only-jwt-secret-not-for-production']));
    for (const secret of PUBLIC_JWT_SECRETS) {
      for (const NODE_ENV of ['production', 'development', 'test']) {
        expect(() => loadConfig({ NODE_ENV, DATA_DIR: scratch, JWT_SECRET: ` ${secret} ` })).toThrow(/JWT_SECRET: is published in the Chorus repository/);
      }
    }
  });

  it('without JWT_SECRET in development, generates a random secret once into DATA_DIR (0600) and reuses it', () => {
    const dataDir = join(scratch, 'generated', 'data');
    const first = loadConfig({ DATA_DIR: dataDir });
    expect(first.jwtSecretSource).toBe('generated');
    expect(first.jwt.secret.length).toBeGreaterThanOrEqual(64);
    expect(PUBLIC_JWT_SECRETS).not.toContain(first.jwt.secret);
    const file = join(dataDir, 'jwt-secret');
    expect(readFileSync(file, 'utf8').trim()).toBe(first.jwt.secret);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = loadConfig({ DATA_DIR: dataDir });
    expect(again).toMatchObject({ jwtSecretSource: 'loaded', jwt: { secret: first.jwt.secret } });
    expect(loadConfig({ DATA_DIR: join(scratch, 'other') }).jwt.secret).not.toBe(first.jwt.secret);
  });

  it('parses lists and URLs', () => {
    const config = loadConfig({ ...TEST, CORS_ORIGINS: 'https://a.example, https://b.example', REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
  });
});
