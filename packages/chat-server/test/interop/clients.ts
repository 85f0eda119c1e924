import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client, type IMessage } from '@stomp/stompjs';
import SockJS from 'sockjs-client';
import { Stomp as LegacyStomp } from 'stompjs/lib/stomp.js';
import webstomp from 'webstomp-client';
import WebSocket from 'ws';
import type { Message } from '@chorus/core';

// What stompjs 2.3.3's own Node entry sets up (its browser build uses window's timers).
LegacyStomp.setInterval = (interval, f) => setInterval(f, interval);
LegacyStomp.clearInterval = (id) => clearInterval(id as NodeJS.Timeout);

export interface Endpoint {
  /** http://host:port of the server (SockJS at /sockjs, WebSocket at /ws). */
  url: string;
  /** The STOMP_TCP_PORT listener. */
  tcpPort: number;
  token: string;
  /** What the client asks for both ways (heart-beat:N,N); undefined = the library's default. */
  heartbeatMs: number | undefined;
}

/**
 * One STOMP client library, driven the way its users drive it, reduced to what the matrix
 * checks. Every method resolves on the server's answer (CONNECTED, RECEIPT).
 */
export interface MatrixClient {
  connect(): Promise<void>;
  subscribe(roomId: string, since?: number): Promise<void>;
  send(roomId: string, text: string): Promise<void>;
  disconnect(): Promise<void>;
  /** Room messages received, in order. */
  readonly received: Message[];
  /** Why the connection ended without disconnect() (a heart-beat timeout, a close), else null. */
  readonly lost: string | null;
  waitFor(count: number, timeoutMs?: number): Promise<void>;
}

export type ClientFactory = (endpoint: Endpoint) => MatrixClient;

const topic = (roomId: string) => `/topic/rooms/${roomId}`;
const app = (roomId: string) => `/app/rooms/${roomId}`;
const wsUrl = (url: string) => `${url.replace(/^http/, 'ws')}/ws`;

/** Bookkeeping every adapter shares: received messages, waiters, receipts, loss. */
abstract class BaseClient implements MatrixClient {
  readonly received: Message[] = [];
  lost: string | null = null;
  #waiters: Array<() => void> = [];
  #receipts = new Map<string, () => void>();
  #seq = 0;
  protected disconnecting = false;

  abstract connect(): Promise<void>;
  abstract subscribe(roomId: string, since?: number): Promise<void>;
  abstract send(roomId: string, text: string): Promise<void>;
  abstract disconnect(): Promise<void>;

  protected nextReceipt(): string {
    return `m-${++this.#seq}`;
  }

  protected receipt(id: string): Promise<void> {
    return new Promise((resolve) => this.#receipts.set(id, resolve));
  }

  protected gotReceipt(id: string | undefined): void {
    if (id === undefined) return;
    this.#receipts.get(id)?.();
    this.#receipts.delete(id);
  }

  protected gotMessage(body: string): void {
    this.received.push(JSON.parse(body) as Message);
    this.#notify();
  }

  protected gotLoss(reason: string): void {
    if (this.disconnecting || this.lost !== null) return;
    this.lost = reason;
    this.#notify();
  }

  #notify(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  async waitFor(count: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (this.lost !== null) throw new Error(`connection lost: ${this.lost}`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`have ${this.received.length} messages, waited for ${count}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** @stomp/stompjs 7 over `ws` or sockjs-client; default heart-beats 10000,10000, tolerance 2x. */
class StompJs7 extends BaseClient {
  #client: Client;
  constructor(endpoint: Endpoint, transport: 'websocket' | 'sockjs') {
    super();
    this.#client = new Client({
      webSocketFactory: () =>
        transport === 'sockjs' ? new SockJS(`${endpoint.url}/sockjs`) : new WebSocket(wsUrl(endpoint.url), ['v12.stomp', 'v11.stomp', 'v10.stomp']),
      connectHeaders: { Authorization: `Bearer ${endpoint.token}` },
      reconnectDelay: 0,
      ...(endpoint.heartbeatMs !== undefined ? { heartbeatIncoming: endpoint.heartbeatMs, heartbeatOutgoing: endpoint.heartbeatMs } : {}),
    });
    this.#client.onWebSocketClose = (event: { code?: number; reason?: string }) => this.gotLoss(`socket closed ${event.code} ${event.reason ?? ''}`);
    this.#client.onStompError = (frame) => this.gotLoss(`ERROR ${frame.headers['message']}`);
  }

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#client.onConnect = () => resolve();
      this.#client.onWebSocketError = () => reject(new Error('socket error before CONNECTED'));
      this.#client.activate();
    });
  }

  subscribe(roomId: string, since?: number): Promise<void> {
    const id = this.nextReceipt();
    const done = this.receipt(id);
    this.#client.watchForReceipt(id, () => this.gotReceipt(id));
    this.#client.subscribe(topic(roomId), (frame: IMessage) => this.gotMessage(frame.body), {
      receipt: id,
      ...(since !== undefined ? { since: String(since) } : {}),
    });
    return done;
  }

  send(roomId: string, text: string): Promise<void> {
    const id = this.nextReceipt();
    const done = this.receipt(id);
    this.#client.watchForReceipt(id, () => this.gotReceipt(id));
    this.#client.publish({ destination: app(roomId), body: JSON.stringify({ text }), headers: { 'content-type': 'application/json', receipt: id } });
    return done;
  }

  async disconnect(): Promise<void> {
    this.disconnecting = true;
    await this.#client.deactivate();
  }
}

/** Legacy stompjs 2.3.3 (`Stomp.over(socket)`, as Spring-era pages use it): STOMP 1.1, default 10000,10000, tolerance 2x. */
class LegacyStompJs extends BaseClient {
  readonly #client;
  constructor(
    private readonly endpoint: Endpoint,
    transport: 'websocket' | 'sockjs',
  ) {
    super();
    const socket = transport === 'sockjs' ? new SockJS(`${endpoint.url}/sockjs`) : new WebSocket(wsUrl(endpoint.url), ['v11.stomp', 'v10.stomp']);
    this.#client = LegacyStomp.over(socket);
    this.#client.debug = null;
    if (endpoint.heartbeatMs !== undefined) this.#client.heartbeat = { outgoing: endpoint.heartbeatMs, incoming: endpoint.heartbeatMs };
    this.#client.onreceipt = (frame) => this.gotReceipt(frame.headers['receipt-id']);
  }

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      let connected = false;
      this.#client.connect(
        { Authorization: `Bearer ${this.endpoint.token}` },
        () => {
          connected = true;
          resolve();
        },
        (error) => {
          const reason = typeof error === 'string' ? error : `ERROR ${error.headers['message']}`;
          if (connected) this.gotLoss(reason);
          else reject(new Error(reason));
        },
      );
    });
  }

  subscribe(roomId: string, since?: number): Promise<void> {
    const id = this.nextReceipt();
    const done = this.receipt(id);
    this.#client.subscribe(topic(roomId), (frame) => this.gotMessage(frame.body), { receipt: id, ...(since !== undefined ? { since: String(since) } : {}) });
    return done;
  }

  send(roomId: string, text: string): Promise<void> {
    const id = this.nextReceipt();
    const done = this.receipt(id);
    this.#client.send(app(roomId), { 'content-type': 'application/json', receipt: id }, JSON.stringify({ text }));
    return done;
  }

  disconnect(): Promise<void> {
    this.disconnecting = true;
    return new Promise((resolve) => this.#client.disconnect(() => resolve()));
  }
}

/** webstomp-client 1.2.6 over `ws`: default 10000,10000, tolerance 2x. */
class WebStomp extends BaseClient {
  readonly #client: webstomp.Client;
  constructor(private readonly endpoint: Endpoint) {
    super();
    const socket = new WebSocket(wsUrl(endpoint.url), webstomp.VERSIONS.supportedProtocols());
    this.#client = webstomp.over(socket, {
      debug: false,
      ...(endpoint.heartbeatMs !== undefined ? { heartbeat: { incoming: endpoint.heartbeatMs, outgoing: endpoint.heartbeatMs } } : {}),
    });
    this.#client.onreceipt = (frame) => this.gotReceipt(frame.headers['receipt-id']);
  }

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      let connected = false;
      this.#client.connect(
        { Authorization: `Bearer ${this.endpoint.token}` },
        () => {
          connected = true;
          resolve();
        },
        (error) => {
          const reason = 'command' in error ? `ERROR ${error.headers['message']}` : `socket closed ${error.code} ${error.reason}`;
          if (connected) this.gotLoss(reason);
          else reject(new Error(reason));
        },
      );
    });
  }

  subscribe(roomId: string, since?: number): Promise<void> {
    const id = this.nextReceipt();
    const done = this.receipt(id);
    this.#client.subscribe(topic(roomId), (frame) => this.gotMessage(frame.body), { receipt: id, ...(since !== undefined ? { since: String(since) } : {}) });
    return done;
  }

  send(roomId: string, text: string): Promise<void> {
    const id = this.nextReceipt();
    const done = this.receipt(id);
    this.#client.send(app(roomId), JSON.stringify({ text }), { 'content-type': 'application/json', receipt: id });
    return done;
  }

  disconnect(): Promise<void> {
    this.disconnecting = true;
    return new Promise((resolve) => this.#client.disconnect(() => resolve()));
  }
}

export const PYTHON = '/usr/bin/python3';
const DRIVER = fileURLToPath(new URL('./stomp_py_driver.py', import.meta.url));

/** Debian's python3-stomp (stomp.py 8) over STOMP_TCP_PORT, through stomp_py_driver.py. */
class StompPy extends BaseClient {
  readonly #child: ChildProcessWithoutNullStreams;
  #connected: (() => void) | null = null;
  #subscriptions = 0;

  constructor(endpoint: Endpoint) {
    super();
    const heartbeat = endpoint.heartbeatMs ?? 10_000;
    this.#child = spawn(PYTHON, [DRIVER, '127.0.0.1', String(endpoint.tcpPort), endpoint.token, String(heartbeat)]);
    this.#child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
    createInterface({ input: this.#child.stdout }).on('line', (line) => this.#event(JSON.parse(line) as Record<string, string>));
    this.#child.on('exit', (code) => this.gotLoss(`driver exited with ${code}`));
  }

  #event(event: Record<string, string>): void {
    switch (event['ev']) {
      case 'connected':
        this.#connected?.();
        return;
      case 'receipt':
        this.gotReceipt(event['id']);
        return;
      case 'message':
        this.gotMessage(event['body']!);
        return;
      default:
        this.gotLoss(`${event['ev']} ${event['message'] ?? ''}`);
    }
  }

  #command(command: Record<string, unknown>): void {
    this.#child.stdin.write(JSON.stringify(command) + '\n');
  }

  connect(): Promise<void> {
    return new Promise((resolve) => {
      this.#connected = resolve;
      this.#command({ op: 'connect' });
    });
  }

  subscribe(roomId: string, since?: number): Promise<void> {
    const receipt = this.nextReceipt();
    const done = this.receipt(receipt);
    this.#command({ op: 'subscribe', destination: topic(roomId), id: `s${++this.#subscriptions}`, receipt, since: since ?? null });
    return done;
  }

  send(roomId: string, text: string): Promise<void> {
    const receipt = this.nextReceipt();
    const done = this.receipt(receipt);
    this.#command({ op: 'send', destination: app(roomId), body: JSON.stringify({ text }), receipt });
    return done;
  }

  async disconnect(): Promise<void> {
    this.disconnecting = true;
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#command({ op: 'disconnect' });
    this.#child.stdin.end();
    await exited;
  }
}

/** The matrix: every client library and transport the interop suite proves. */
export const MATRIX: Record<string, ClientFactory> = {
  '@stomp/stompjs 7 over ws': (e) => new StompJs7(e, 'websocket'),
  '@stomp/stompjs 7 over SockJS': (e) => new StompJs7(e, 'sockjs'),
  'stompjs 2.3.3 over SockJS': (e) => new LegacyStompJs(e, 'sockjs'),
  'stompjs 2.3.3 over ws': (e) => new LegacyStompJs(e, 'websocket'),
  'webstomp-client 1.2.6 over ws': (e) => new WebStomp(e),
  'python3-stomp (stomp.py 8) over STOMP_TCP_PORT': (e) => new StompPy(e),
};
