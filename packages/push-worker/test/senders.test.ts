import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type Logger } from '@chorus/core';
import { pino } from 'pino';
import { parseRetryAfter, retryDelayMs } from '../src/backoff.js';
import { fcmCredentialFromConfig } from '../src/fcm-sender.js';
import { createPushSender } from '../src/start.js';

/** A logger whose JSON lines the test can read. */
function capturingLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      out.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines: () => out.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('sender selection', () => {
  it('without credentials logs one log-only line at start and then each notification', async () => {
    const { logger, lines } = capturingLogger();
    const sender = createPushSender(loadConfig({ NODE_ENV: 'test' }), logger);
    expect(sender.kind).toBe('log');
    expect(lines().filter((l) => String(l.msg).includes('log-only mode'))).toHaveLength(1);

    const results = await sender.send([
      { token: 'abcdefghijklmnop', platform: 'android', collapseKey: 'room-1', title: 'Lobby', body: 'ann: hi', data: { roomId: '1' } },
    ]);
    expect(results).toEqual([{ status: 'sent', messageId: 'log-1' }]);
    const logged = lines().at(-1)!;
    expect(logged).toMatchObject({ msg: 'push (log-only): Lobby: ann: hi', device: 'abcdefgh…', collapseKey: 'room-1', data: { roomId: '1' } });
    expect(JSON.stringify(logged)).not.toContain('abcdefghijklmnop');
    await sender.close();
  });

  it('reads FCM_SERVICE_ACCOUNT_JSON, else GOOGLE_APPLICATION_CREDENTIALS, and names a bad variable', () => {
    const push = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env }).push;
    expect(fcmCredentialFromConfig(push({}))).toBeUndefined();
    expect(fcmCredentialFromConfig(push({ FCM_SERVICE_ACCOUNT_JSON: '{"project_id":"p"}' }))).toEqual({ serviceAccount: { project_id: 'p' } });
    expect(fcmCredentialFromConfig(push({ GOOGLE_APPLICATION_CREDENTIALS: '/secrets/sa.json' }))).toEqual({ credentialsFile: '/secrets/sa.json' });
    expect(() => fcmCredentialFromConfig(push({ FCM_SERVICE_ACCOUNT_JSON: '{not json' }))).toThrow(ConfigError);
    expect(() => fcmCredentialFromConfig(push({ FCM_SERVICE_ACCOUNT_JSON: '[1]' }))).toThrow(/FCM_SERVICE_ACCOUNT_JSON/);
    expect(() => createPushSender(loadConfig({ NODE_ENV: 'test', GOOGLE_APPLICATION_CREDENTIALS: '/nonexistent/sa.json' }), capturingLogger().logger)).toThrow(
      /GOOGLE_APPLICATION_CREDENTIALS: cannot read/,
    );
  });
});

describe('retry back-off', () => {
  const policy = { baseMs: 1000, maxMs: 60_000 };

  it('doubles per attempt within [half, full] of the step, capped at maxMs', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, policy, undefined, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, policy, undefined, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(30, policy, undefined, () => 1)).toBe(60_000);
  });

  it('never retries before Retry-After', () => {
    expect(retryDelayMs(1, policy, 30_000, () => 0.5)).toBe(30_000);
    expect(retryDelayMs(5, policy, 10, () => 1)).toBe(16_000);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
