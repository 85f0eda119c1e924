import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type IMessage } from '@stomp/stompjs';
import SockJS from 'sockjs-client';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttachmentInfo, Message } from '@chorus/core';
import { TestS3Server } from '@chorus/core/testing';
import { startChorus, type RunningChorus } from '../src/index.js';

interface Session {
  user: { id: string; username: string };
  token: string;
}

const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

type Storage = 'files' | 's3';

/**
 * The whole path with real clients: upload over REST → SEND over STOMP → members on a
 * WebSocket and on SockJS receive the metadata → download the same bytes; on both storage twins.
 */
describe.each<Storage>(['files', 's3'])('attachments end to end (%s)', (storage) => {
  let chorus: RunningChorus;
  let dataDir: string;
  let s3: TestS3Server | undefined;
  const clients: Client[] = [];
  const savedEnv = { ...process.env };

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
    const username = `${name}${randomBytes(3).toString('hex')}`;
    return (await api<Session>('POST', '/api/auth/signup', { username, email: `${username}@example.test`, password: 'correct horse battery' })).body;
  }

  async function stomp(token: string, transport: 'ws' | 'sockjs'): Promise<Client> {
    const client = new Client({
      webSocketFactory: () =>
        transport === 'sockjs' ? new SockJS(`${chorus.url}/sockjs`) : new WebSocket(`${chorus.url.replace('http', 'ws')}/ws`, ['v12.stomp', 'v11.stomp', 'v10.stomp']),
      connectHeaders: { Authorization: `Bearer ${token}` },
      reconnectDelay: 0,
      heartbeatIncoming: 0,
      heartbeatOutgoing: 0,
    });
    clients.push(client);
    await new Promise<void>((resolve, reject) => {
      client.onConnect = () => resolve();
      client.onStompError = (f) => reject(new Error(f.headers['message']));
      client.activate();
    });
    return client;
  }

  /** Subscribes (with a receipt) and resolves the first message that has attachments. */
  async function firstAttachmentMessage(client: Client, roomId: string, headers: Record<string, string> = {}): Promise<{ subscribed: Promise<void>; message: Promise<Message> }> {
    let resolveMessage!: (m: Message) => void;
    const message = new Promise<Message>((resolve) => (resolveMessage = resolve));
    const receipt = `sub-${randomBytes(3).toString('hex')}`;
    const subscribed = new Promise<void>((resolve) => client.watchForReceipt(receipt, () => resolve()));
    client.subscribe(
      `/topic/rooms/${roomId}`,
      (frame: IMessage) => {
        const m = JSON.parse(frame.body) as Message;
        if (m.attachments) resolveMessage(m);
      },
      { ...headers, receipt },
    );
    return { subscribed, message };
  }

  async function download(info: AttachmentInfo, token: string): Promise<{ status: number; bytes: Buffer }> {
    const res = await fetch(`${chorus.url}${info.url}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'chorus-e2e-files-'));
    const env: Record<string, string> = { PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'silent', NODE_ENV: 'test' };
    if (storage === 's3') {
      s3 = await TestS3Server.start();
      // The SDK reads credentials from the process environment (its default chain).
      Object.assign(process.env, s3.env);
      Object.assign(env, s3.env);
    }
    chorus = await startChorus({ env });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.deactivate()));
    await chorus?.close();
    await s3?.stop();
    process.env = savedEnv;
    await rm(dataDir, { recursive: true, force: true });
  });

  it('upload → STOMP SEND → ws and SockJS members get the metadata and download the same bytes; others get 404', async () => {
    const [alice, bob, carol, eve] = [await signup('alice'), await signup('bob'), await signup('carol'), await signup('eve')];
    const room = (await api<{ id: string }>('POST', '/api/rooms', { name: 'files', private: true }, alice.token)).body;
    for (const member of [bob, carol]) await api('POST', `/api/rooms/${room.id}/members`, { userId: member.user.id }, alice.token);

    const data = randomBytes(300_000);
    const up = await fetch(`${chorus.url}/api/rooms/${room.id}/attachments?name=${encodeURIComponent('notes.bin')}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/octet-stream' },
      body: data,
    });
    expect(up.status).toBe(201);
    const attachment = (await up.json()) as AttachmentInfo;

    const [bobClient, carolClient, aliceClient] = [await stomp(bob.token, 'ws'), await stomp(carol.token, 'sockjs'), await stomp(alice.token, 'ws')];
    const bobSees = await firstAttachmentMessage(bobClient, room.id);
    const carolSees = await firstAttachmentMessage(carolClient, room.id);
    await Promise.all([bobSees.subscribed, carolSees.subscribed]);

    const sent = new Promise<void>((resolve) => aliceClient.watchForReceipt('send-1', () => resolve()));
    aliceClient.publish({
      destination: `/app/rooms/${room.id}`,
      body: JSON.stringify({ attachments: [attachment.id] }),
      headers: { 'content-type': 'application/json', receipt: 'send-1' },
    });
    await sent;

    for (const seen of [await bobSees.message, await carolSees.message]) {
      expect(seen.text).toBe('');
      expect(seen.sender.id).toBe(alice.user.id);
      expect(seen.attachments).toEqual([attachment]);
    }
    for (const member of [bob, carol]) {
      const got = await download(attachment, member.token);
      expect(got.status).toBe(200);
      expect(sha(got.bytes)).toBe(sha(data));
    }
    expect((await download(attachment, eve.token)).status).toBe(404);

    // A client resuming with `since` gets the attachment message from the store.
    const late = await stomp(bob.token, 'sockjs');
    const replay = await firstAttachmentMessage(late, room.id, { since: '0' });
    expect((await replay.message).attachments).toEqual([attachment]);

    // The upload was taken: sending it again is refused and stores nothing.
    const again = await api<{ error: { code: string } }>('POST', `/api/rooms/${room.id}/messages`, { attachments: [attachment.id] }, alice.token);
    expect(again.status).toBe(409);
  });
});
