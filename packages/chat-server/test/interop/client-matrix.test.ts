import { spawnSync } from 'node:child_process';
import type { Message } from '@chorus/core';
import { brokerBackends, storeBackends, type BrokerBackend, type StoreBackend } from '@chorus/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness, type TestUser } from '../support/harness.js';
import { connectStomp, sendWithReceipt, subscribeWithReceipt } from '../support/stomp-clients.js';
import { MATRIX, PYTHON, type ClientFactory, type MatrixClient } from './clients.js';

/** The negotiated heart-beat interval of the short runs (server and clients ask the same). */
const HEARTBEAT_MS = 1000;
const PYTHON_CLIENT = 'python3-stomp (stomp.py 8) over STOMP_TCP_PORT';
const pythonStompInstalled = spawnSync(PYTHON, ['-c', 'import stomp'], { stdio: 'ignore' }).status === 0;
// CI installs python3-stomp (.ci/run); there a missing one must fail the suite, not skip a row.
const runPython = pythonStompInstalled || process.env['CI'] === 'true';

const idle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seqs = (messages: Message[]) => messages.map((m) => m.seq);

interface Server {
  h: Harness;
  tcpPort: number;
  alice: TestUser;
  bob: TestUser;
}

/** Embedded (PGlite, in-process broker) always; Postgres + Redis too when DATABASE_URL and REDIS_URL are set (CI). */
type Backend = { store: StoreBackend; broker: BrokerBackend };
const EMBEDDED: Backend = { store: 'pglite', broker: 'memory' };
const BACKENDS: Backend[] = [
  EMBEDDED,
  ...(storeBackends().includes('postgres') && brokerBackends().includes('redis') ? [{ store: 'postgres', broker: 'redis' } as const] : []),
];

async function startServer(env: Record<string, string>, backend: Backend = EMBEDDED): Promise<Server> {
  const h = await startHarness({ env, store: backend.store, broker: backend.broker });
  const tcpPort = await h.gateway.listenTcp(0, '127.0.0.1');
  return { h, tcpPort, alice: await h.createUser('alice'), bob: await h.createUser('bob') };
}

/**
 * One client library through the whole story: connect, subscribe (RECEIPT), sit idle for `idleMs`
 * with its default heart-beat tolerance and still be the same connection, chat both ways with
 * another client, idle again, then reconnect with `since` and get exactly what it missed.
 */
async function story(server: Server, factory: ClientFactory, heartbeatMs: number | undefined, idleMs: number, idleAgainMs = idleMs): Promise<void> {
  const { h, tcpPort, alice, bob } = server;
  const room = await h.createRoom(alice);
  await h.chat.join(bob, room.id);
  const endpoint = { url: h.url, tcpPort, token: alice.token, heartbeatMs };
  const partner = await connectStomp(h.url, bob.token);
  const clients: MatrixClient[] = [];
  try {
    const partnerInbox = await subscribeWithReceipt(partner, `/topic/rooms/${room.id}`);
    const client = factory(endpoint);
    clients.push(client);
    await client.connect();
    await client.subscribe(room.id);

    // Idle right after CONNECTED and the subscription's RECEIPT, as a user who opened a room and
    // said nothing: no traffic but heart-beats, for longer than three intervals.
    await idle(idleMs);
    expect(client.lost).toBeNull();

    await client.send(room.id, 'hello from the matrix client');
    expect((await partnerInbox.waitFor(1)).map((m) => m.text)).toEqual(['hello from the matrix client']);
    await sendWithReceipt(partner, `/app/rooms/${room.id}`, JSON.stringify({ text: 'hello back' }), { 'content-type': 'application/json' });
    await client.waitFor(2);
    expect(client.received.map((m) => m.text)).toEqual(['hello from the matrix client', 'hello back']);

    // Idle again after a MESSAGE, then the same connection still carries a SEND.
    await idle(idleAgainMs);
    expect(client.lost).toBeNull();
    await client.send(room.id, 'still here');
    await client.waitFor(3);

    // Reconnect with since: what was sent meanwhile, once each, in order, then live again.
    const last = client.received.at(-1)!.seq;
    await client.disconnect();
    for (const text of ['missed 1', 'missed 2']) await h.chat.send(bob, room.id, text, 'http');
    const again = factory(endpoint);
    clients.push(again);
    await again.connect();
    await again.subscribe(room.id, last);
    await again.waitFor(2);
    await sendWithReceipt(partner, `/app/rooms/${room.id}`, JSON.stringify({ text: 'live' }), { 'content-type': 'application/json' });
    await again.waitFor(3);
    expect(seqs(again.received)).toEqual([last + 1, last + 2, last + 3]);
    expect(again.received.map((m) => m.text)).toEqual(['missed 1', 'missed 2', 'live']);
    expect(again.lost).toBeNull();
  } finally {
    for (const c of clients) await c.disconnect().catch(() => undefined);
    await partner.deactivate();
  }
}

describe.each(BACKENDS)(`client matrix: short heart-beats (${HEARTBEAT_MS} ms both ways), $store + $broker`, (backend) => {
  let server: Server;
  beforeAll(async () => {
    server = await startServer({ HEARTBEAT_SERVER_MS: String(HEARTBEAT_MS), HEARTBEAT_CLIENT_MS: String(HEARTBEAT_MS) }, backend);
  });
  afterAll(async () => {
    await server?.h.close();
  });

  for (const [name, factory] of Object.entries(MATRIX)) {
    const skip = name === PYTHON_CLIENT && !runPython;
    it.skipIf(skip).concurrent(`${name}: connects, chats, gets RECEIPTs, idles past 3 intervals, resumes with since`, async () => {
      if (name === PYTHON_CLIENT && !pythonStompInstalled) throw new Error('python3-stomp is not installed: apt-get install python3-stomp');
      await story(server, factory, HEARTBEAT_MS, 3.5 * HEARTBEAT_MS);
    });
  }
});

describe('client matrix: default heart-beats (25 s), one long idle run', () => {
  let server: Server;
  beforeAll(async () => {
    server = await startServer({});
  });
  afterAll(async () => {
    await server?.h.close();
  });

  // stompjs asks for 10 s both ways and gets the server's 25 s; it drops a server silent for two of its
  // intervals (50 s), and the server drops a client silent for two of its own: 55 s idle proves both beat.
  it('@stomp/stompjs 7 with its defaults stays connected idle for 55 s (past both sides\' tolerance of two 25 s intervals)', async () => {
    await story(server, MATRIX['@stomp/stompjs 7 over ws']!, undefined, 55_000, 0);
  }, 90_000);
});
