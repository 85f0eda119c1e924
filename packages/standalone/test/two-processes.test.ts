import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@stomp/stompjs';
import pg from 'pg';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, RELAXED_LIMITS_ENV } from '@chorus/core/testing';
import type { Message } from '@chorus/core';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const haveServices = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);
if (process.env.CI && !haveServices) throw new Error('CI requires DATABASE_URL and REDIS_URL for the two-process test');

const SHARED_JWT_SECRET = randomBytes(32).toString('base64url');

/** Runs a service entry point from source as its own OS process. */
function service(entry: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--conditions=source', '--import', 'tsx', join(root, entry)], {
    cwd: root,
    // Both processes must verify each other's tokens: one secret for the pair.
    env: { ...process.env, ...RELAXED_LIMITS_ENV, LOG_LEVEL: 'warn', NODE_ENV: 'test', JWT_SECRET: SHARED_JWT_SECRET, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never became ready`);
}

describe.runIf(haveServices)('api and chat-server as two processes sharing Postgres and Redis', () => {
  const database = `chorus_two_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  let admin: pg.Client;
  let api: ChildProcess;
  let chat: ChildProcess;
  let apiUrl: string;
  let chatUrl: string;
  let client: Client | undefined;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = `/${database}`;
    const [apiPort, chatPort] = [await freePort(), await freePort()];
    apiUrl = `http://127.0.0.1:${apiPort}`;
    chatUrl = `http://127.0.0.1:${chatPort}`;
    const env = { DATABASE_URL: url.toString(), REDIS_URL: process.env.REDIS_URL!, HOST: '127.0.0.1' };
    api = service('packages/api/src/main.ts', { ...env, PORT: String(apiPort) });
    await waitReady(apiUrl, api); // the api migrates first; the chat-server then finds the schema current
    chat = service('packages/chat-server/src/main.ts', { ...env, PORT: String(chatPort) });
    await waitReady(chatUrl, chat);
  }, 90_000);

  afterAll(async () => {
    await client?.deactivate();
    for (const child of [api, chat]) {
      if (child && child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    }
    await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin?.end();
  });

  it('delivers a message sent over HTTP to the api process to a WebSocket subscriber of the chat-server process', async () => {
    const signup = await fetch(`${apiUrl}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: `p${Date.now()}`, email: `p${Date.now()}@example.test`, password: 'a long enough password' }),
    });
    expect(signup.status).toBe(201);
    const { token } = (await signup.json()) as { token: string };
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const room = (await (await fetch(`${apiUrl}/api/rooms`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'x' }) })).json()) as { id: string };

    client = new Client({
      webSocketFactory: () => new WebSocket(`${chatUrl.replace('http', 'ws')}/ws`, ['v12.stomp']),
      connectHeaders: { Authorization: `Bearer ${token}` },
      reconnectDelay: 0,
    });
    const received = new Promise<Message>((resolve, reject) => {
      client!.onConnect = () => {
        client!.watchForReceipt('ready', () => {
          void fetch(`${apiUrl}/api/rooms/${room.id}/messages`, { method: 'POST', headers: auth, body: JSON.stringify({ text: 'across processes' }) });
        });
        client!.subscribe(`/topic/rooms/${room.id}`, (frame) => resolve(JSON.parse(frame.body) as Message), { receipt: 'ready' });
      };
      client!.onStompError = (f) => reject(new Error(f.headers['message']));
    });
    client.activate();
    const message = await received;
    expect(message).toMatchObject({ roomId: room.id, seq: 1, type: 'text', text: 'across processes' });
  });
});
