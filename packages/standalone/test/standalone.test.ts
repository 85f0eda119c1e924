import { mkdtemp, rm } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@stomp/stompjs';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '@chorus/core';
import { startChorus, type RunningChorus } from '../src/index.js';

interface Session {
  user: { id: string; username: string; email: string };
  token: string;
}

/** The whole platform in one process, on the embedded default, driven through its one port. */
describe('standalone: REST + STOMP on one port with the embedded default', () => {
  let chorus: RunningChorus;
  let dataDir: string;
  const clients: Client[] = [];

  async function api<T>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }> {
    const res = await fetch(`${chorus.url}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async function signup(name: string): Promise<Session> {
    const username = `${name}${Math.random().toString(36).slice(2, 8)}`;
    const res = await api<Session>('POST', '/api/auth/signup', { username, email: `${username}@example.test`, password: 'correct horse battery' });
    expect(res.status).toBe(201);
    return res.body;
  }

  async function stomp(token: string): Promise<Client> {
    const client = new Client({
      webSocketFactory: () => new WebSocket(`${chorus.url.replace('http', 'ws')}/ws`, ['v12.stomp', 'v11.stomp', 'v10.stomp']),
      connectHeaders: { Authorization: `Bearer ${token}` },
      reconnectDelay: 0,
    });
    clients.push(client);
    await new Promise<void>((resolve, reject) => {
      client.onConnect = () => resolve();
      client.onStompError = (f) => reject(new Error(f.headers['message']));
      client.activate();
    });
    return client;
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'chorus-standalone-'));
    chorus = await startChorus({ env: { PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'silent', NODE_ENV: 'test', STOMP_TCP_PORT: '0' } });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.deactivate()));
    await chorus?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('signs up, creates and joins a room, and exchanges messages over REST and STOMP', async () => {
    const alice = await signup('alice');
    const bob = await signup('bob');
    const room = await api<{ id: string; memberCount: number }>('POST', '/api/rooms', { name: 'general' }, alice.token);
    expect(room.status).toBe(201);
    expect((await api('POST', `/api/rooms/${room.body.id}/join`, undefined, bob.token)).status).toBe(200);

    const b = await stomp(bob.token);
    const received: Message[] = [];
    let onTwo: () => void = () => {};
    const two = new Promise<void>((resolve) => (onTwo = resolve));
    await new Promise<void>((resolve) => {
      b.watchForReceipt('sub', () => resolve());
      b.subscribe(
        `/topic/rooms/${room.body.id}`,
        (f) => {
          received.push(JSON.parse(f.body) as Message);
          if (received.length === 2) onTwo();
        },
        { receipt: 'sub' },
      );
    });

    // HTTP send reaches the WebSocket subscriber.
    const sent = await api<Message>('POST', `/api/rooms/${room.body.id}/messages`, { text: 'over http' }, alice.token);
    expect(sent.status).toBe(201);
    // STOMP send is stored and visible in REST history.
    const a = await stomp(alice.token);
    await new Promise<void>((resolve) => {
      a.watchForReceipt('s1', () => resolve());
      a.publish({ destination: `/app/rooms/${room.body.id}`, body: JSON.stringify({ text: 'over stomp' }), headers: { receipt: 's1' } });
    });
    await two;
    expect(received.map((m) => m.text)).toEqual(['over http', 'over stomp']);
    expect(received[0]).toEqual(sent.body);

    const history = await api<{ messages: Message[] }>('GET', `/api/rooms/${room.body.id}/messages`, undefined, bob.token);
    expect(history.body.messages.map((m) => [m.type, m.text])).toEqual([
      ['join', `${bob.user.username} joined`],
      ['text', 'over http'],
      ['text', 'over stomp'],
    ]);
  });

  it('serves health, readiness, metrics and the OpenAPI document on the same port', async () => {
    expect((await fetch(`${chorus.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${chorus.url}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${chorus.url}/metrics`)).text();
    expect(metrics).toMatch(/^chorus_ws_connections\{.*\} \d+/m);
    expect(metrics).toContain('chorus_messages_stored_total');
    const docs = (await (await fetch(`${chorus.url}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(docs.paths)).toContain('/api/rooms/{id}/messages');
  });

  it('speaks STOMP over plain TCP on STOMP_TCP_PORT, with the same CONNECT authentication', async () => {
    expect(chorus.stompTcpPort).toBeGreaterThan(0);
    /** Sends one CONNECT and resolves with everything received until the server closes or a frame ends. */
    const exchange = (token: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = tcpConnect(chorus.stompTcpPort!, '127.0.0.1', () => {
          socket.write(`CONNECT\naccept-version:1.2\nhost:chorus\nAuthorization:Bearer ${token}\n\n\0`);
        });
        let received = '';
        socket.on('data', (chunk) => {
          received += chunk.toString();
          if (received.includes('\0')) socket.end();
        });
        socket.on('close', () => resolve(received));
        socket.on('error', reject);
      });
    const { token } = await signup('tcp');
    expect(await exchange(token)).toMatch(/^CONNECTED\nversion:1.2\n/);
    expect(await exchange('not-a-token')).toMatch(/^ERROR\n[\s\S]*message:invalid token/);
  });
});
