import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import sockjs from 'sockjs';
import { WebSocketServer, type Server as WsServer } from 'ws';
import { randomBytes } from 'node:crypto';
import { MemoryPresence, type Broker, type ChatService, type ChorusConfig, type Logger, type Metrics, type Presence, type Store, type TokenService } from '@chorus/core';
import { RoomEventHub } from '../fanout/room-events.js';
import { RoomHub } from '../fanout/room-hub.js';
import { UnreadTracker } from '../fanout/unread-tracker.js';
import { TopicRegistry } from '../fanout/topic-registry.js';
import { UserHub } from '../fanout/user-hub.js';
import { PresenceTracker } from '../presence/presence-tracker.js';
import type { SessionContext } from '../stomp/session-context.js';
import { StompSession } from '../stomp/session.js';
import { UserRateLimiter } from '../util/token-bucket.js';
import { HeartbeatScheduler } from '../stomp/heartbeat-scheduler.js';
import { SessionSocket } from './session-socket.js';
import { SockJsTransport } from './sockjs-transport.js';
import { CloseCodes } from '../protocol/close-codes.js';
import { WsTransport } from './ws-transport.js';

export interface ChatGatewayDeps {
  config: ChorusConfig;
  chat: ChatService;
  tokens: TokenService;
  store: Store;
  broker: Broker;
  metrics: Metrics;
  logger: Logger;
  /** Shared presence (Redis with several replicas); defaults to this process only. The caller closes it. */
  presence?: Presence;
  serverName?: string;
}

export const WS_PATH = '/ws';
export const SOCKJS_PREFIX = '/sockjs';
const SUBPROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

/**
 * The STOMP endpoints of one process: native WebSocket at /ws and SockJS at
 * /sockjs, attached to an existing HTTP server (the standalone process shares
 * one port between the REST api and the gateway).
 */
export class ChatGateway {
  readonly hub: RoomHub;
  readonly roomEvents: RoomEventHub;
  readonly userHub: UserHub;
  readonly presence: PresenceTracker;
  readonly unread: UnreadTracker;
  /** This process's broker subscriptions, shared by the hubs and trackers above. */
  readonly #topics: TopicRegistry;
  readonly #offStored: () => void;
  readonly #sessions = new Set<StompSession>();
  readonly #wss: WsServer<typeof SessionSocket>;
  readonly #ctx: SessionContext;
  readonly #heartbeats = new HeartbeatScheduler();
  #draining = false;
  readonly #idle: (() => void)[] = [];

  constructor(private readonly deps: ChatGatewayDeps) {
    const { config, metrics, logger } = deps;
    this.#topics = new TopicRegistry(deps.broker, metrics, logger);
    this.hub = new RoomHub(deps.broker, this.#topics, deps.store, metrics, logger, config.limits.replayLimit);
    this.#offStored = deps.chat.onStored((message, payload) => this.hub.deliverLocal(message, payload));
    this.roomEvents = new RoomEventHub(deps.broker, this.#topics, logger);
    this.userHub = new UserHub(this.#topics);
    this.presence = new PresenceTracker(deps.presence ?? new MemoryPresence({ ttlMs: config.presence.ttlMs }), this.roomEvents, logger);
    this.presence.start();
    this.unread = new UnreadTracker(this.#topics, deps.store, this.userHub, this.presence, logger);
    this.#ctx = {
      config,
      chat: deps.chat,
      tokens: deps.tokens,
      hub: this.hub,
      metrics,
      logger,
      sendLimiter: new UserRateLimiter(config.limits.sendRatePerSecond, config.limits.sendBurst),
      typingLimiter: new UserRateLimiter(config.limits.typingRatePerSecond, config.limits.typingBurst),
      subscribeLimiter: new UserRateLimiter(config.limits.subscribeRatePerSecond, config.limits.subscribeBurst),
      roomEvents: this.roomEvents,
      userHub: this.userHub,
      unread: this.unread,
      presence: this.presence,
      // 72 random bits: unique among replicas, and short, as every presence entry carries it.
      processId: randomBytes(9).toString('base64url'),
      serverName: deps.serverName ?? 'chorus/0.1',
      heartbeats: this.#heartbeats,
      parserLimits: Object.freeze({
        maxFrameBytes: config.limits.maxFrameBytes,
        maxHeaders: config.limits.maxHeaders,
        maxHeaderBytes: config.limits.maxHeaderBytes,
      }),
      onClosed: (session) => this.#forget(session as StompSession),
    };
    this.#wss = new WebSocketServer<typeof SessionSocket>({
      noServer: true,
      WebSocket: SessionSocket,
      // The gateway tracks its sessions; ws's own client set would cost a listener per socket.
      clientTracking: false,
      perMessageDeflate: false,
      // One WebSocket message may carry several frames; the STOMP parser enforces per-frame limits.
      maxPayload: config.limits.maxFrameBytes * 4,
      handleProtocols: (offered) => SUBPROTOCOLS.find((p) => offered.has(p)) ?? false,
    });
  }

  get connectionCount(): number {
    return this.#sessions.size;
  }

  attach(server: Server): void {
    // Our upgrade listener goes first; sockjs wraps existing listeners and
    // passes on whatever is not under its prefix.
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#onUpgrade(req, socket, head));
    const sockServer = sockjs.createServer({
      prefix: SOCKJS_PREFIX,
      log: (severity, message) => {
        if (severity === 'error') this.deps.logger.warn({ sockjs: message }, 'sockjs error');
      },
      disconnect_delay: 5000,
      heartbeat_delay: 25_000,
    });
    sockServer.on('connection', (conn) => {
      if (!conn) return;
      if (this.#draining) {
        conn.close('3012', 'service restart');
        return;
      }
      const transport = new SockJsTransport(conn);
      const session = this.#open(transport);
      conn.on('data', (data: string) => session.receive(data));
      conn.on('close', () => session.closed());
    });
    sockServer.installHandlers(server, { prefix: SOCKJS_PREFIX });
    this.#guardSockJsOrigins(server);
  }

  #originAllowed(req: IncomingMessage): boolean {
    const allowed = this.deps.config.wsAllowedOrigins;
    const origin = req.headers.origin;
    return allowed.length === 0 || origin === undefined || allowed.includes(origin);
  }

  /**
   * sockjs answers every request under its prefix itself (and echoes any Origin
   * back in CORS headers), so the WS_ALLOWED_ORIGINS check must run in front of
   * the listeners it installed, for plain requests and upgrades alike.
   */
  #guardSockJsOrigins(server: Server): void {
    if (this.deps.config.wsAllowedOrigins.length === 0) return;
    const isSockJs = (req: IncomingMessage) => (req.url ?? '').startsWith(`${SOCKJS_PREFIX}/`) || req.url === SOCKJS_PREFIX;
    const requestListeners = server.listeners('request') as Array<(...args: unknown[]) => void>;
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (isSockJs(req) && !this.#originAllowed(req)) {
        res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'forbidden', message: 'origin not allowed' } }));
        return;
      }
      for (const listener of requestListeners) listener.call(server, req, res);
    });
    const upgradeListeners = server.listeners('upgrade') as Array<(...args: unknown[]) => void>;
    server.removeAllListeners('upgrade');
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (isSockJs(req) && !this.#originAllowed(req)) {
        rejectUpgrade(socket, 403, 'Forbidden');
        return;
      }
      for (const listener of upgradeListeners) listener.call(server, req, socket, head);
    });
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0];
    if (path !== WS_PATH) {
      if (!path?.startsWith(SOCKJS_PREFIX)) rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    if (this.#draining) {
      rejectUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    if (!this.#originAllowed(req)) {
      rejectUpgrade(socket, 403, 'Forbidden');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws: SessionSocket) => ws.attach(this.#open(new WsTransport(ws, socket))));
  }

  #open(transport: WsTransport | SockJsTransport): StompSession {
    const session = new StompSession(transport, this.#ctx);
    this.#sessions.add(session);
    this.deps.metrics.connections.inc({ transport: transport.kind });
    this.deps.metrics.connectionsTotal.inc({ transport: transport.kind });
    return session;
  }

  #forget(session: StompSession): void {
    if (!this.#sessions.delete(session)) return;
    this.deps.metrics.connections.dec({ transport: session.transportKind });
    if (this.#sessions.size === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  /** Resolves when no session is open (a closing session may still be finishing a SEND), or after `timeoutMs`. */
  async #whenIdle(timeoutMs: number): Promise<void> {
    if (this.#sessions.size === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.#idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Graceful drain: refuse new connections, then close every session with 1012
   * (service restart), spread evenly over `windowMs` so clients do not all
   * reconnect at once. A session busy with a SEND closes once it is stored,
   * published and acknowledged. Resolves when every session is closed.
   */
  async drain(windowMs: number): Promise<void> {
    this.#draining = true;
    const sessions = [...this.#sessions];
    this.deps.logger.info({ sessions: sessions.length, windowMs }, 'draining connections');
    const step = sessions.length > 0 ? windowMs / sessions.length : 0;
    await Promise.all(
      sessions.map(
        (session, i) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              session.close(CloseCodes.serviceRestart, 'service restart: reconnect to another replica');
              resolve();
            }, Math.floor(i * step));
            timer.unref();
          }),
      ),
    );
    // In-flight SENDs finish (stored, published, RECEIPT written) before the caller closes the store.
    await this.#whenIdle(5000);
  }

  close(): void {
    this.#draining = true;
    for (const session of [...this.#sessions]) session.close(CloseCodes.serviceRestart, 'server shutting down');
    this.#heartbeats.close();
    this.#offStored();
    this.presence.stop();
    this.unread.close();
    this.userHub.close();
    this.hub.close();
    this.#topics.close();
    this.#wss.close();
  }

  /** Resolves once the presence updates of closed sessions (users going offline) are written. */
  async flush(): Promise<void> {
    await this.presence.flush();
  }
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
