import { randomBytes } from 'node:crypto';
import { Client, type IFrame, type IMessage } from '@stomp/stompjs';
import WebSocket from 'ws';
import type { Message } from '@chorus/core';
import { delay } from './services.js';

export interface ApiUser {
  id: string;
  username: string;
  token: string;
}

export async function rest<T = unknown>(baseUrl: string, method: string, path: string, token?: string, json?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(json !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export async function signup(apiUrl: string, prefix: string): Promise<ApiUser> {
  const username = `${prefix}_${randomBytes(4).toString('hex')}`;
  const reply = await rest<{ token: string; user: { id: string } }>(apiUrl, 'POST', '/api/auth/signup', undefined, {
    username,
    email: `${username}@example.test`,
    password: 'a long enough password',
  });
  if (reply.status !== 201) throw new Error(`signup failed with ${reply.status}`);
  return { id: reply.body.user.id, username, token: reply.body.token };
}

/** Creates a public room owned by the first user and joins every other one. */
export async function roomWith(apiUrl: string, users: ApiUser[]): Promise<string> {
  const [owner, ...others] = users;
  const room = await rest<{ id: string }>(apiUrl, 'POST', '/api/rooms', owner!.token, { name: `r-${randomBytes(3).toString('hex')}` });
  for (const user of others) {
    const joined = await rest(apiUrl, 'POST', `/api/rooms/${room.body.id}/join`, user.token);
    if (joined.status !== 200) throw new Error(`join failed with ${joined.status}`);
  }
  return room.body.id;
}

/** The room's last seq, read from the store through REST history. */
export async function lastSeqOf(apiUrl: string, roomId: string, token: string): Promise<number> {
  const reply = await rest<{ messages: Message[] }>(apiUrl, 'GET', `/api/rooms/${roomId}/messages?limit=1`, token);
  if (reply.status !== 200) throw new Error(`history failed with ${reply.status}`);
  return reply.body.messages.at(-1)?.seq ?? 0;
}

/** A STOMP client over `ws` that reports how its socket closed; `socket` is kept for pausing reads. */
export async function openStomp(wsUrl: string, token: string): Promise<{ client: Client; socket: WebSocket; closed: Promise<number> }> {
  let socket: WebSocket | undefined;
  let resolveClosed: (code: number) => void = () => {};
  const closed = new Promise<number>((resolve) => (resolveClosed = resolve));
  const client = new Client({
    webSocketFactory: () => (socket = new WebSocket(wsUrl, ['v12.stomp'])),
    connectHeaders: { Authorization: `Bearer ${token}` },
    reconnectDelay: 0,
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    connectionTimeout: 5000,
  });
  await new Promise<void>((resolve, reject) => {
    client.onConnect = () => resolve();
    client.onStompError = (frame: IFrame) => reject(new Error(`STOMP ERROR: ${frame.headers['message']}`));
    client.onWebSocketClose = (event: { code: number }) => {
      resolveClosed(event.code);
      reject(new Error(`socket closed before CONNECTED (${event.code})`));
    };
    client.onWebSocketError = () => {};
    client.activate();
  });
  client.onWebSocketClose = (event: { code: number }) => resolveClosed(event.code);
  return { client, socket: socket!, closed };
}

/**
 * A room subscriber that survives its replica: when the connection drops it
 * reconnects to the next replica (plain round robin, as a load balancer without
 * sticky sessions would) and resubscribes with `since:<last seq received>`.
 * It counts what arrived: messages, duplicates (a message id seen before),
 * and order errors (a seq that is not last + 1).
 */
export class RoomReader {
  readonly seqs: number[] = [];
  readonly texts = new Set<string>();
  readonly closeCodes: number[] = [];
  readonly #ids = new Set<string>();
  duplicates = 0;
  orderErrors = 0;
  reconnects = 0;
  truncatedReplays = 0;
  #lastSeq = 0;
  #client: Client | undefined;
  #stopped = false;
  #index: number;

  constructor(
    readonly name: string,
    private readonly urls: () => string[],
    private readonly token: string,
    private readonly roomId: string,
    startIndex: number,
  ) {
    this.#index = startIndex;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  async start(): Promise<void> {
    await this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#client?.deactivate();
  }

  async #connect(): Promise<void> {
    for (let attempt = 0; !this.#stopped; attempt++) {
      const urls = this.urls();
      const url = urls[this.#index % urls.length]!;
      try {
        const { client, closed } = await openStomp(url, this.token);
        this.#client = client;
        await new Promise<void>((resolve) => {
          client.watchForReceipt(`sub-${this.name}`, () => resolve());
          client.subscribe(`/topic/rooms/${this.roomId}`, (frame) => this.#onMessage(frame), {
            since: String(this.#lastSeq),
            receipt: `sub-${this.name}`,
          });
        });
        void closed.then((code) => this.#onClosed(code));
        return;
      } catch {
        this.#index++;
        await delay(Math.min(1000, 50 * 2 ** attempt));
      }
    }
  }

  #onClosed(code: number): void {
    this.closeCodes.push(code);
    if (this.#stopped) return;
    this.reconnects++;
    this.#index++;
    void this.#connect();
  }

  #onMessage(frame: IMessage): void {
    if (frame.headers['replay-truncated'] === 'true') this.truncatedReplays++;
    const message = JSON.parse(frame.body) as Message;
    if (this.#ids.has(message.id)) {
      this.duplicates++;
      return;
    }
    this.#ids.add(message.id);
    if (message.seq !== this.#lastSeq + 1) this.orderErrors++;
    this.#lastSeq = Math.max(this.#lastSeq, message.seq);
    this.seqs.push(message.seq);
    this.texts.add(message.text);
  }
}

export type SendOutcome = 'acked' | 'refused' | 'lost';

/**
 * A sender that sends one message at a time with a receipt, subscribed to
 * /user/queue/errors so that refusals arrive as messages and the connection
 * stays open. A message is *acknowledged* only when its RECEIPT arrived. When
 * the connection drops, the in-flight message counts as lost-unacknowledged
 * (it may or may not have been stored) and the sender moves to the next replica.
 */
export class Sender {
  readonly acked: string[] = [];
  readonly refused: { text: string; code: string }[] = [];
  readonly unacknowledged: string[] = [];
  reconnects = 0;
  #client: Client | undefined;
  #closed: Promise<number> = new Promise(() => {});
  #index: number;
  #pending = new Map<string, (outcome: { result: SendOutcome; code?: string }) => void>();
  #stopped = false;
  #counter = 0;

  constructor(
    readonly name: string,
    private readonly urls: () => string[],
    private readonly token: string,
    private readonly roomId: string,
    startIndex: number,
  ) {
    this.#index = startIndex;
  }

  async start(): Promise<void> {
    await this.#connect();
  }

  /** Sends `count` messages one after another, pausing `pauseMs` between them. */
  async run(count: number, options: { pauseMs?: number; text?: (i: number) => string; shouldStop?: () => boolean } = {}): Promise<void> {
    for (let i = 0; i < count && !this.#stopped && !options.shouldStop?.(); i++) {
      const text = options.text?.(i) ?? `${this.name}#${this.#counter++}`;
      await this.send(text);
      if (options.pauseMs) await delay(options.pauseMs);
    }
  }

  async send(text: string): Promise<SendOutcome> {
    if (this.#client && !this.#client.connected) {
      // Closed while idle (e.g. drained with 1012): move to the next replica before sending.
      this.reconnects++;
      this.#index++;
      this.#client = undefined;
    }
    if (!this.#client) await this.#connect();
    const receipt = `m-${randomBytes(6).toString('hex')}`;
    const outcome = await new Promise<{ result: SendOutcome; code?: string }>((resolve) => {
      this.#pending.set(receipt, resolve);
      this.#client!.watchForReceipt(receipt, () => resolve({ result: 'acked' }));
      void this.#closed.then(() => resolve({ result: 'lost' }));
      try {
        this.#client!.publish({ destination: `/app/rooms/${this.roomId}`, body: JSON.stringify({ text }), headers: { receipt, 'content-type': 'application/json' } });
      } catch {
        resolve({ result: 'lost' });
      }
    });
    this.#pending.delete(receipt);
    if (outcome.result === 'acked') this.acked.push(text);
    else if (outcome.result === 'refused') this.refused.push({ text, code: outcome.code ?? 'unknown' });
    else {
      this.unacknowledged.push(text);
      this.reconnects++;
      this.#index++;
      this.#client = undefined;
      await this.#connect();
    }
    return outcome.result;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#client?.deactivate();
  }

  async #connect(): Promise<void> {
    for (let attempt = 0; !this.#stopped; attempt++) {
      const urls = this.urls();
      const url = urls[this.#index % urls.length]!;
      try {
        const { client, closed } = await openStomp(url, this.token);
        await new Promise<void>((resolve) => {
          client.watchForReceipt(`errors-${this.name}`, () => resolve());
          client.subscribe(
            '/user/queue/errors',
            (frame) => {
              const receipt = frame.headers['receipt-id'];
              const body = JSON.parse(frame.body) as { code: string };
              if (receipt) this.#pending.get(receipt)?.({ result: 'refused', code: body.code });
            },
            { receipt: `errors-${this.name}` },
          );
        });
        this.#client = client;
        this.#closed = closed;
        return;
      } catch {
        this.#index++;
        await delay(Math.min(1000, 50 * 2 ** attempt));
      }
    }
  }
}
