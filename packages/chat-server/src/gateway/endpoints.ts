import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import sockjs from 'sockjs';
import { WebSocketServer, type Server as WsServer } from 'ws';
import type { ChorusConfig, Logger } from '@chorus/core';
import type { StompSession } from '../stomp/session.js';
import { SessionSocket } from './session-socket.js';
import { SockJsTransport } from './sockjs-transport.js';
import { WsTransport } from './ws-transport.js';

export const WS_PATH = '/ws';
export const SOCKJS_PREFIX = '/sockjs';
const SUBPROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

/** What the endpoints need from the gateway that owns the sessions. */
export interface EndpointHost {
  /** True once the gateway drains: new connections are refused. */
  draining(): boolean;
  /** Starts a STOMP session on a new connection. */
  open(transport: WsTransport | SockJsTransport): StompSession;
}

/**
 * The HTTP side of the gateway: native WebSocket upgrades at /ws and SockJS at /sockjs on an
 * existing HTTP server, with the WS_ALLOWED_ORIGINS check in front of both.
 */
export class GatewayEndpoints {
  readonly #wss: WsServer<typeof SessionSocket>;

  constructor(
    private readonly config: ChorusConfig,
    private readonly logger: Logger,
    private readonly host: EndpointHost,
  ) {
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

  attach(server: Server): void {
    // Our upgrade listener goes first; sockjs wraps existing listeners and
    // passes on whatever is not under its prefix.
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#onUpgrade(req, socket, head));
    const sockServer = sockjs.createServer({
      prefix: SOCKJS_PREFIX,
      log: (severity, message) => {
        if (severity === 'error') this.logger.warn({ sockjs: message }, 'sockjs error');
      },
      disconnect_delay: 5000,
      heartbeat_delay: 25_000,
    });
    sockServer.on('connection', (conn) => {
      if (!conn) return;
      if (this.host.draining()) {
        conn.close('3012', 'service restart');
        return;
      }
      const transport = new SockJsTransport(conn);
      const session = this.host.open(transport);
      conn.on('data', (data: string) => session.receive(data));
      conn.on('close', () => session.closed());
    });
    sockServer.installHandlers(server, { prefix: SOCKJS_PREFIX });
    this.#guardSockJsOrigins(server);
  }

  #originAllowed(req: IncomingMessage): boolean {
    const allowed = this.config.wsAllowedOrigins;
    const origin = req.headers.origin;
    return allowed.length === 0 || origin === undefined || allowed.includes(origin);
  }

  /**
   * sockjs answers every request under its prefix itself (and echoes any Origin
   * back in CORS headers), so the WS_ALLOWED_ORIGINS check must run in front of
   * the listeners it installed, for plain requests and upgrades alike.
   */
  #guardSockJsOrigins(server: Server): void {
    if (this.config.wsAllowedOrigins.length === 0) return;
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
    if (this.host.draining()) {
      rejectUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    if (!this.#originAllowed(req)) {
      rejectUpgrade(socket, 403, 'Forbidden');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws: SessionSocket) => ws.attach(this.host.open(new WsTransport(ws, socket))));
  }

  close(): void {
    this.#wss.close();
  }
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
