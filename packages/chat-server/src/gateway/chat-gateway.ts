import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { MemoryPresence, type Broker, type TokensRevokedEvent, type ChatService, type ChorusConfig, type Logger, type Metrics, type Presence, type Store, type TokenService } from '@chorus/core';
import { RoomEventHub } from '../fanout/room-event-hub.js';
import { RoomHub } from '../fanout/room-hub.js';
import { UnreadTracker } from '../fanout/unread-tracker.js';
import { TopicRegistry } from '../fanout/topic-registry.js';
import { UserHub } from '../fanout/user-hub.js';
import { PresenceTracker } from '../presence/presence-tracker.js';
import type { SessionContext } from '../stomp/session-context.js';
import { StompSession } from '../stomp/session.js';
import { UserRateLimiter } from '../util/token-bucket.js';
import { HeartbeatScheduler } from '../stomp/heartbeat-scheduler.js';
import { GatewayEndpoints } from './endpoints.js';
import type { SockJsTransport } from './sockjs-transport.js';
import type { TcpTransport } from './tcp-transport.js';
import { CloseCodes } from '../protocol/close-codes.js';
import type { WsTransport } from './ws-transport.js';

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

/**
 * The STOMP endpoints of one process: native WebSocket at /ws and SockJS at
 * /sockjs, attached to an existing HTTP server (the standalone process shares
 * one port between the REST api and the gateway).
 */
export class ChatGateway {
  readonly roomHub: RoomHub;
  readonly roomEventHub: RoomEventHub;
  readonly userHub: UserHub;
  readonly presenceTracker: PresenceTracker;
  readonly unread: UnreadTracker;
  /** This process's broker subscriptions, shared by the hubs and trackers above. */
  readonly #topics: TopicRegistry;
  readonly #offStored: () => void;
  readonly #offRevoked: () => void;
  readonly #sessions = new Set<StompSession>();
  readonly #endpoints: GatewayEndpoints;
  readonly #ctx: SessionContext;
  readonly #heartbeats = new HeartbeatScheduler();
  #draining = false;
  readonly #idle: (() => void)[] = [];

  constructor(private readonly deps: ChatGatewayDeps) {
    const { config, metrics, logger } = deps;
    this.#topics = new TopicRegistry(deps.broker, metrics, logger);
    this.roomHub = new RoomHub(deps.broker, this.#topics, deps.store, metrics, logger, config.limits.replayLimit);
    this.#offStored = deps.chat.onStored((message, payload) => this.roomHub.deliverLocal(message, payload));
    this.roomEventHub = new RoomEventHub(deps.broker, this.#topics, logger);
    this.userHub = new UserHub(this.#topics);
    this.presenceTracker = new PresenceTracker(deps.presence ?? new MemoryPresence({ ttlMs: config.presence.ttlMs }), this.roomEventHub, logger);
    this.presenceTracker.start();
    this.unread = new UnreadTracker(this.#topics, deps.store, this.userHub, this.presenceTracker, logger);
    this.#ctx = {
      config,
      chat: deps.chat,
      tokens: deps.tokens,
      roomHub: this.roomHub,
      metrics,
      logger,
      sendLimiter: new UserRateLimiter(config.limits.sendRatePerSecond, config.limits.sendBurst),
      typingLimiter: new UserRateLimiter(config.limits.typingRatePerSecond, config.limits.typingBurst),
      subscribeLimiter: new UserRateLimiter(config.limits.subscribeRatePerSecond, config.limits.subscribeBurst),
      roomEventHub: this.roomEventHub,
      userHub: this.userHub,
      unread: this.unread,
      presenceTracker: this.presenceTracker,
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
    this.#offRevoked = deps.tokens.revocations?.onRevoked((event) => this.#closeRevoked(event)) ?? (() => {});
    this.#endpoints = new GatewayEndpoints(config, logger, {
      draining: () => this.#draining,
      open: (transport) => this.#open(transport),
    });
  }

  get connectionCount(): number {
    return this.#sessions.size;
  }

  /** Serves /ws and /sockjs on `server` (see GatewayEndpoints). */
  attach(server: Server): void {
    this.#endpoints.attach(server);
  }

  /** Starts the optional STOMP-over-TCP listener (see GatewayEndpoints.listenTcp); resolves with its port. */
  listenTcp(port: number, host: string): Promise<number> {
    return this.#endpoints.listenTcp(port, host);
  }

  #open(transport: WsTransport | SockJsTransport | TcpTransport): StompSession {
    const session = new StompSession(transport, this.#ctx);
    this.#sessions.add(session);
    this.deps.metrics.connections.inc({ transport: transport.kind });
    this.deps.metrics.connectionsTotal.inc({ transport: transport.kind });
    return session;
  }

  /**
   * Closes this process's sessions whose token a revocation refuses (from this process or any
   * other), with an ERROR saying why. A rare, human-paced event: a scan of the sessions is cheap.
   */
  #closeRevoked(event: TokensRevokedEvent): void {
    const message = event.deleted ? 'logged out: account deleted' : 'logged out: this token was revoked (logged out everywhere or password changed)';
    for (const session of [...this.#sessions]) {
      if (session.user?.id !== event.userId) continue;
      if (event.deleted || session.tokenGeneration < event.generation) session.revokeAuth(message);
    }
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
    this.#offRevoked();
    this.presenceTracker.stop();
    this.unread.close();
    this.userHub.close();
    this.roomHub.close();
    this.#topics.close();
    this.#endpoints.close();
  }

  /** Resolves once the presence updates of closed sessions (users going offline) are written. */
  async flush(): Promise<void> {
    await this.presenceTracker.flush();
  }

  /**
   * The gateway's part of a process shutdown: drain the sessions over `drainWindowMs`,
   * close everything, and write the presence of the users that went offline. The caller
   * closes the store and broker afterwards.
   */
  async shutdown(drainWindowMs: number): Promise<void> {
    await this.drain(drainWindowMs);
    this.close();
    await this.flush();
  }
}
