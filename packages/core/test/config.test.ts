import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_JWT_SECRET, loadConfig } from '../src/index.js';

describe('loadConfig', () => {
  it('has working defaults for the embedded start', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 8080, host: '0.0.0.0', dataDir: './data', databaseUrl: undefined, redisUrl: undefined });
    expect(config.limits.maxMessageLength).toBe(4000);
  });

  it.each([
    ['PORT', '99999', /PORT: expected 0..65535/],
    ['PORT', 'eighty', /PORT: expected an integer/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL: expected a postgres: or postgresql: URL/],
    ['REDIS_URL', 'not a url', /REDIS_URL: not a valid URL/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL: expected one of/],
    ['PUSH_PREVIEWS', 'maybe', /PUSH_PREVIEWS: expected true or false/],
    ['JWT_SECRET', 'short', /JWT_SECRET: must be at least 32 characters/],
  ])('rejects %s=%s naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('leaves the STOMP-over-TCP listener off unless STOMP_TCP_PORT is set', () => {
    expect(loadConfig({}).stompTcpPort).toBeUndefined();
    expect(loadConfig({ STOMP_TCP_PORT: '61613' }).stompTcpPort).toBe(61613);
    expect(loadConfig({ STOMP_TCP_PORT: '0' }).stompTcpPort).toBe(0);
    expect(() => loadConfig({ STOMP_TCP_PORT: '70000' })).toThrow(/STOMP_TCP_PORT: expected 0..65535/);
  });

  it('refuses the public development JWT secret in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET: must be set in production/);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) }).jwt.secret).not.toBe(DEV_JWT_SECRET);
  });

  it('parses lists and URLs', () => {
    const config = loadConfig({ CORS_ORIGINS: 'https://a.example, https://b.example', REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
  });
});
