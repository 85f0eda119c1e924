import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChorus, type RunningChorus } from '../src/index.js';

type LogLine = Record<string, unknown> & { msg?: string };

/** `pnpm start` without FCM credentials: the embedded push worker logs what it would send. */
describe('standalone: push in log-only mode', () => {
  let chorus: RunningChorus;
  let dataDir: string;
  const lines: LogLine[] = [];
  const waiters: Array<{ match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const text of String(chunk).split('\n').filter(Boolean)) {
        const line = JSON.parse(text) as LogLine;
        lines.push(line);
        for (const waiter of waiters.filter((w) => w.match(line))) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
      done();
    },
  });
  const nextLine = (match: (line: LogLine) => boolean) =>
    new Promise<LogLine>((resolve) => {
      const seen = lines.find(match);
      if (seen) resolve(seen);
      else waiters.push({ match, resolve });
    });

  async function api<T>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }> {
    const res = await fetch(`${chorus.url}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async function signup(name: string): Promise<{ token: string; user: { username: string } }> {
    const username = `${name}${Math.random().toString(36).slice(2, 8)}`;
    const res = await api<{ token: string; user: { username: string } }>('POST', '/api/auth/signup', {
      username,
      email: `${username}@example.test`,
      password: 'correct horse battery',
    });
    expect(res.status).toBe(201);
    return res.body;
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'chorus-push-'));
    chorus = await startChorus({
      env: { PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, NODE_ENV: 'test', PUSH_POLL_MS: '20' },
      logger: pino({ level: 'info' }, stream),
    });
  });
  afterAll(async () => {
    await chorus?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('says so once at start, then logs the notification an offline member would get', async () => {
    expect(lines.filter((l) => l.msg?.startsWith('push is in log-only mode'))).toHaveLength(1);
    const [alice, bob] = [await signup('alice'), await signup('bob')];
    const room = (await api<{ id: string; name: string }>('POST', '/api/rooms', { name: 'Lobby' }, alice.token)).body;
    expect((await api('POST', `/api/rooms/${room.id}/join`, undefined, bob.token)).status).toBe(200);
    expect((await api('POST', '/api/devices', { token: 'bob-phone-token-123', platform: 'android' }, bob.token)).status).toBe(200);

    const logged = nextLine((l) => l.msg?.startsWith('push (log-only)') === true);
    expect((await api('POST', `/api/rooms/${room.id}/messages`, { text: 'hello bob' }, alice.token)).status).toBe(201);
    expect(await logged).toMatchObject({
      msg: `push (log-only): Lobby: ${alice.user.username}: hello bob`,
      platform: 'android',
      device: 'bob-phon…',
      collapseKey: `room-${room.id}`,
      data: { roomId: room.id, unread: '1' },
    });
  });
});
