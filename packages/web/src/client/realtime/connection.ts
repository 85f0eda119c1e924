import {
  roomEventsDestination,
  roomSendDestination,
  roomTopicDestination,
  typingSendDestination,
  UNREAD_QUEUE,
  USER_ERRORS_QUEUE,
  userQueueDestination,
} from '@chorus/protocol';
import { Client, type IFrame, type IMessage, type IStompSocket, type StompSubscription } from '@stomp/stompjs';
import { ApiError } from '../api/api-error.js';
import type { Message, StompUserError, UnreadEvent } from '../api/types.js';
import { Backoff } from './backoff.js';
import { socketFactory, TransportSelector, type TransportChoice, type TransportKind } from './transport.js';

export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'stopped';

export interface ConnectionState {
  status: ConnectionStatus;
  transport: TransportKind;
  /** While reconnecting: when the next attempt starts (epoch ms), or null while one is under way. */
  retryAt: number | null;
  /** Why the last connection ended, when the server said. */
  lastError: string | null;
}

export interface ConnectionHandlers {
  state(state: ConnectionState): void;
  /** After every CONNECTED; `resumed` is false only for the first one. */
  connected(resumed: boolean): void;
  roomMessage(roomId: string, message: Message, replayTruncated: boolean): void;
  presence(roomId: string, body: unknown): void;
  typing(roomId: string, body: unknown): void;
  /** A `/topic/rooms/<id>/settings` event of the focused room. */
  settings?(roomId: string, body: unknown): void;
  unread(event: UnreadEvent): void;
  /** A refused operation not tied to a pending send. */
  userError(error: StompUserError): void;
  /** The server refused the CONNECT or closed with what looks like an auth error. */
  authRejected(): void;
}

export interface ConnectionOptions {
  origin: URL;
  transport: TransportChoice;
  token(): string | null;
  /** Last seq the client holds for a room; the subscription replays everything after it. */
  since(roomId: string): number;
  handlers: ConnectionHandlers;
  heartbeatMs?: number;
  connectTimeoutMs?: number;
  receiptTimeoutMs?: number;
  backoff?: Backoff;
}

interface PendingSend {
  resolve(): void;
  reject(error: ApiError): void;
  timer: ReturnType<typeof setTimeout>;
}

/** WebSocket close code 1008, with which the server refuses a page's origin. */
const POLICY_VIOLATION = 1008;

/**
 * One STOMP session that survives network trouble: each attempt is a fresh
 * @stomp/stompjs Client (its own reconnect loop is off), retried with jittered
 * exponential back-off. On every CONNECTED it re-subscribes each watched room
 * with `since` = the last seq the app holds, so the server replays whatever was
 * missed while disconnected.
 */
export class ChatConnection {
  readonly #options: ConnectionOptions;
  readonly #backoff: Backoff;
  readonly #selector: TransportSelector;
  #client: Client | null = null;
  #stopped = true;
  #everConnected = false;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #receiptSeq = 0;
  readonly #rooms = new Map<string, StompSubscription | null>();
  #focused: string | null = null;
  #focusSubscriptions: StompSubscription[] = [];
  readonly #pending = new Map<string, PendingSend>();
  #state: ConnectionState;

  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.#backoff = options.backoff ?? new Backoff({ initialMs: 1000, maxMs: 30_000 });
    this.#selector = new TransportSelector(options.transport, typeof WebSocket !== 'undefined');
    this.#state = { status: 'stopped', transport: this.#selector.current(), retryAt: null, lastError: null };
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get connected(): boolean {
    return this.#client?.connected === true;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    void this.#attempt();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clearRetry();
    const client = this.#client;
    this.#client = null;
    this.#dropSession('disconnected');
    this.#setState({ status: 'stopped', retryAt: null, lastError: null });
    if (client) await client.deactivate();
  }

  /** Skips the back-off wait (the "Reconnect now" button, the browser coming back online). */
  reconnectNow(): void {
    if (this.#stopped || this.#client !== null) return;
    this.#clearRetry();
    void this.#attempt();
  }

  /** Receives a room's messages from now on, across reconnects. */
  watchRoom(roomId: string): void {
    if (this.#rooms.has(roomId)) return;
    this.#rooms.set(roomId, null);
    if (this.#client?.connected) this.#subscribeRoom(this.#client, roomId);
  }

  unwatchRoom(roomId: string): void {
    const subscription = this.#rooms.get(roomId);
    this.#rooms.delete(roomId);
    if (subscription && this.connected) subscription.unsubscribe();
    if (this.#focused === roomId) this.focusRoom(null);
  }

  /** The room on screen also gets presence, typing and settings events. */
  focusRoom(roomId: string | null): void {
    if (this.#focused === roomId) return;
    if (this.connected) for (const subscription of this.#focusSubscriptions) subscription.unsubscribe();
    this.#focusSubscriptions = [];
    this.#focused = roomId;
    if (this.#client?.connected) this.#subscribeFocus(this.#client);
  }

  /** Sends a text message (with attachment ids); resolves once the server has stored it (its RECEIPT). */
  send(roomId: string, text: string, attachments: string[] = []): Promise<void> {
    const client = this.#client;
    if (!client?.connected) return Promise.reject(new ApiError(0, 'not_connected', 'not connected'));
    const receipt = `send-${++this.#receiptSeq}`;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => this.#settle(receipt, new ApiError(0, 'timeout', 'the server did not confirm the message in time')),
        this.#options.receiptTimeoutMs ?? 15_000,
      );
      this.#pending.set(receipt, { resolve, reject, timer });
      client.watchForReceipt(receipt, () => this.#settle(receipt));
      client.publish({
        destination: roomSendDestination(roomId),
        body: JSON.stringify(attachments.length > 0 ? { text, attachments } : { text }),
        headers: { 'content-type': 'application/json', receipt },
      });
    });
  }

  /** Tells the room this user is typing; dropped silently while disconnected. */
  sendTyping(roomId: string): void {
    if (!this.#client?.connected) return;
    this.#client.publish({
      destination: typingSendDestination(roomId),
      body: JSON.stringify({ typing: true }),
      headers: { 'content-type': 'application/json' },
    });
  }

  async #attempt(): Promise<void> {
    this.#retryTimer = null;
    if (this.#stopped || this.#client !== null) return;
    const kind = this.#selector.current();
    this.#setState({ status: this.#everConnected ? 'reconnecting' : 'connecting', transport: kind, retryAt: null });
    let factory: () => IStompSocket;
    try {
      factory = await socketFactory(kind, this.#options.origin);
    } catch (err) {
      this.#scheduleRetry(err instanceof Error ? err.message : 'transport failed to load');
      return;
    }
    if (this.#stopped || this.#client !== null) return;

    let opened = false;
    const heartbeat = this.#options.heartbeatMs ?? 10_000;
    const client = new Client({
      webSocketFactory: () => {
        const socket = factory();
        (socket as unknown as EventTarget).addEventListener('open', () => (opened = true));
        return socket;
      },
      connectHeaders: { Authorization: `Bearer ${this.#options.token() ?? ''}` },
      reconnectDelay: 0,
      heartbeatIncoming: heartbeat,
      heartbeatOutgoing: heartbeat,
      connectionTimeout: this.#options.connectTimeoutMs ?? 10_000,
      debug: () => {},
    });
    let closeReason: string | null = null;
    client.onConnect = () => this.#onConnect(client);
    client.onStompError = (frame: IFrame) => {
      closeReason = frame.headers.message ?? 'the server closed the session';
      if (looksLikeAuthError(frame)) this.#options.handlers.authRejected();
    };
    client.onWebSocketClose = (event?: { code?: number; reason?: string }) => {
      if (this.#client !== client) return;
      this.#client = null;
      void client.deactivate();
      this.#selector.record(kind, opened, typeof navigator === 'undefined' || navigator.onLine);
      this.#dropSession('the connection was lost before the server confirmed the message');
      // A close reason is all a page learns of a refused handshake (the HTTP status is hidden).
      closeReason ??= event?.reason || null;
      if (event?.code === POLICY_VIOLATION && event.reason?.startsWith('origin not allowed')) {
        // A server configuration problem that retrying cannot fix: stop, and say so.
        this.#stopped = true;
        this.#setState({ status: 'stopped', retryAt: null, lastError: event.reason });
        return;
      }
      if (!this.#stopped) this.#scheduleRetry(closeReason);
    };
    this.#client = client;
    client.activate();
  }

  #onConnect(client: Client): void {
    if (this.#client !== client) return;
    this.#backoff.reset();
    const resumed = this.#everConnected;
    this.#everConnected = true;
    client.subscribe(userQueueDestination(USER_ERRORS_QUEUE), (frame) => this.#onUserError(frame));
    client.subscribe(userQueueDestination(UNREAD_QUEUE), (frame) => {
      const event = parseJson<UnreadEvent>(frame.body);
      if (event && typeof event.roomId === 'string') this.#options.handlers.unread(event);
    });
    for (const roomId of this.#rooms.keys()) this.#subscribeRoom(client, roomId);
    this.#subscribeFocus(client);
    this.#setState({ status: 'connected', retryAt: null, lastError: null });
    this.#options.handlers.connected(resumed);
  }

  #subscribeRoom(client: Client, roomId: string): void {
    const since = this.#options.since(roomId);
    const subscription = client.subscribe(
      roomTopicDestination(roomId),
      (frame: IMessage) => {
        const message = parseJson<Message>(frame.body);
        if (!message || typeof message.seq !== 'number') return;
        this.#options.handlers.roomMessage(roomId, message, frame.headers['replay-truncated'] === 'true');
      },
      { since: String(since) },
    );
    this.#rooms.set(roomId, subscription);
  }

  #subscribeFocus(client: Client): void {
    const roomId = this.#focused;
    if (roomId === null) return;
    const { presence, typing, settings } = this.#options.handlers;
    this.#focusSubscriptions = [
      client.subscribe(roomEventsDestination(roomId, 'presence'), (frame) => presence(roomId, parseJson(frame.body))),
      client.subscribe(roomEventsDestination(roomId, 'typing'), (frame) => typing(roomId, parseJson(frame.body))),
    ];
    if (settings) this.#focusSubscriptions.push(client.subscribe(roomEventsDestination(roomId, 'settings'), (frame) => settings(roomId, parseJson(frame.body))));
  }

  #onUserError(frame: IMessage): void {
    const body = parseJson<Partial<StompUserError>>(frame.body) ?? {};
    const error: StompUserError = {
      code: typeof body.code === 'string' ? body.code : 'error',
      message: typeof body.message === 'string' ? body.message : 'the server refused the request',
      ...(typeof body.receiptId === 'string' ? { receiptId: body.receiptId } : {}),
      ...(typeof body.destination === 'string' ? { destination: body.destination } : {}),
      ...(typeof body.retryAfter === 'number' ? { retryAfter: body.retryAfter } : {}),
    };
    if (error.receiptId !== undefined && this.#pending.has(error.receiptId)) {
      this.#settle(error.receiptId, new ApiError(0, error.code, error.message, error.retryAfter));
      return;
    }
    // Presence, typing, settings and unread pushes are optional server features: a refusal there is not the user's concern.
    if (error.destination && /\/(presence|typing|settings|unread)$/.test(error.destination)) return;
    this.#options.handlers.userError(error);
  }

  #settle(receipt: string, error?: ApiError): void {
    const pending = this.#pending.get(receipt);
    if (!pending) return;
    this.#pending.delete(receipt);
    clearTimeout(pending.timer);
    if (error) pending.reject(error);
    else pending.resolve();
  }

  /** Forgets everything tied to the socket that just went away. */
  #dropSession(reason: string): void {
    for (const roomId of this.#rooms.keys()) this.#rooms.set(roomId, null);
    this.#focusSubscriptions = [];
    for (const receipt of [...this.#pending.keys()]) {
      this.#settle(receipt, new ApiError(0, 'connection_lost', reason));
    }
  }

  #scheduleRetry(reason: string | null): void {
    const delay = this.#backoff.next();
    this.#setState({
      status: this.#everConnected ? 'reconnecting' : 'connecting',
      transport: this.#selector.current(),
      retryAt: Date.now() + delay,
      lastError: reason,
    });
    this.#retryTimer = setTimeout(() => void this.#attempt(), delay);
  }

  #clearRetry(): void {
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }

  #setState(change: Partial<ConnectionState>): void {
    this.#state = { ...this.#state, ...change };
    this.#options.handlers.state(this.#state);
  }
}

function looksLikeAuthError(frame: IFrame): boolean {
  const text = `${frame.headers['error-code'] ?? ''} ${frame.headers.message ?? ''}`.toLowerCase();
  return /unauthori[sz]ed|token|authenticat|login/.test(text);
}

function parseJson<T = unknown>(body: string): T | null {
  try {
    return JSON.parse(body) as T;
  } catch {
    return null;
  }
}
