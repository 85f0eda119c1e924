import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import sockjs from 'sockjs';
import { WebSocketServer, type PerMessageDeflateOptions, type Server as WsServer } from 'ws';
import type { ChorusConfig, Logger, WsCompressionConfig } from '@chorus/core';
import { CloseCodes } from '../protocol/close-codes.js';
import type { StompSession } from '../stomp/session.js';
import { limitRequestBody } from './request-body-limit.js';
import { SessionSocket } from './session-socket.js';
import { SharedDeflate } from './shared-deflate.js';
import { SockJsSessionBinding } from './sockjs-session-binding.js';
import { SockJsTransport } from './sockjs-transport.js';
import { TcpTransport } from './tcp-transport.js';
import { WsTransport } from './ws-transport.js';

export const WS_PATH = '/ws';
export const SOCKJS_PREFIX = '/sockjs';
const SUBPROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];
/**
 * Other names STOMP clients offer for the same protocol (ActiveMQ and RabbitMQ accept them too).
 * The session negotiates the version from CONNECT's accept-version, so the name picks nothing.
 */
const SUBPROTOCOL_ALIASES = ['stomp', 'v1.2.stomp', 'v1.1.stomp', 'v1.0.stomp'];

/**
 * The subprotocol to select for the offered ones: ours, else an alias, else none when nothing
 * was offered (browsers' plain `new WebSocket(url)`). Undefined = only unknown ones: refuse.
 */
export function selectSubprotocol(offered: ReadonlySet<string>): string | false | undefined {
  if (offered.size === 0) return false;
  return SUBPROTOCOLS.find((p) => offered.has(p)) ?? SUBPROTOCOL_ALIASES.find((p) => offered.has(p));
}

/**
 * ws's permessage-deflate options for WS_COMPRESSION*, or false (off). No max_window_bits is
 * imposed in the handshake: ws answers an offer it cannot match with HTTP 400 instead of
 * declining the extension, which would lock out Firefox (it offers no client_max_window_bits)
 * and clients that ask for a small server window. The server's own window is its choice
 * (a smaller window than negotiated is always valid): SharedDeflate uses WS_COMPRESSION_WINDOW_BITS.
 */
export function perMessageDeflateOptions(c: WsCompressionConfig): PerMessageDeflateOptions | false {
  if (!c.enabled) return false;
  return {
    threshold: c.thresholdBytes,
    serverNoContextTakeover: !c.contextTakeover,
    clientNoContextTakeover: !c.contextTakeover,
    zlibDeflateOptions: { memLevel: c.memLevel, level: 6 },
    // ws runs this many zlib operations at once per process (the rest queue), bounding the
    // threadpool work a burst of large messages can start.
    concurrencyLimit: 10,
  };
}

/** What sockjs 0.3 offers beyond its typings: a listener whose app answers its errors. */
interface SockJsServerInternals {
  listener(options: { prefix: string }): {
    app: Record<string, unknown>;
    getHandler(): (req: IncomingMessage, res: ServerResponse | Duplex, head?: Buffer) => void;
  };
}

/** What the endpoints need from the gateway that owns the sessions. */
export interface EndpointHost {
  /** True once the gateway drains: new connections are refused. */
  draining(): boolean;
  /** Starts a STOMP session on a new connection. */
  open(transport: WsTransport | SockJsTransport | TcpTransport): StompSession;
}

/**
 * The network side of the gateway: native WebSocket upgrades at /ws and SockJS at /sockjs on an
 * existing HTTP server (origin check, SockJS body limit and session binding in front of both),
 * and the optional STOMP-over-TCP listener.
 */
export class GatewayEndpoints {
  readonly #wss: WsServer<typeof SessionSocket>;
  /** WS_COMPRESSION: frames deflated once for every connection (see SharedDeflate). */
  readonly #sharedDeflate: SharedDeflate | undefined;
  #tcpServer: TcpServer | undefined;

  constructor(
    private readonly config: ChorusConfig,
    private readonly logger: Logger,
    private readonly host: EndpointHost,
  ) {
    this.#sharedDeflate = config.wsCompression.enabled ? new SharedDeflate(config.wsCompression) : undefined;
    this.#wss = new WebSocketServer<typeof SessionSocket>({
      noServer: true,
      WebSocket: SessionSocket,
      // The gateway tracks its sessions; ws's own client set would cost a listener per socket.
      clientTracking: false,
      perMessageDeflate: perMessageDeflateOptions(config.wsCompression),
      // One WebSocket message may carry several frames; the STOMP parser enforces per-frame limits.
      maxPayload: config.limits.maxFrameBytes * 4,
      handleProtocols: (offered) => selectSubprotocol(offered) ?? false,
    });
  }

  attach(server: Server): void {
    // Our upgrade listener handles /ws; #installSockJs puts the SockJS front in front of it.
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#onUpgrade(req, socket, head));
    const options: sockjs.ServerOptions & { faye_server_options: { maxLength: number } } = {
      prefix: SOCKJS_PREFIX,
      log: (severity, message) => {
        if (severity === 'error') this.logger.warn({ sockjs: message }, 'sockjs error');
      },
      disconnect_delay: 5000,
      heartbeat_delay: 25_000,
      // faye-websocket accepts 64 MB messages by default; SockJS websocket messages get the body limit.
      faye_server_options: { maxLength: this.config.limits.sockjsMaxBodyBytes },
    };
    const sockServer = sockjs.createServer(options);
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
    this.#installSockJs(server, sockServer);
  }

  /**
   * WS_ALLOWED_ORIGINS, plus the server's own origin (Origin's host:port equal to the Host the
   * request came to), so Chorus's own web client is never locked out by the list.
   */
  #originAllowed(req: IncomingMessage): boolean {
    const allowed = this.config.wsAllowedOrigins;
    const origin = req.headers.origin;
    return allowed.length === 0 || origin === undefined || allowed.includes(origin) || isSameOrigin(origin, req.headers.host);
  }

  /**
   * sockjs answers every request under its prefix itself (and echoes any Origin back in CORS
   * headers), so our checks run in front of its handler: the WS_ALLOWED_ORIGINS check (plain
   * requests and upgrades), the body limit (SOCKJS_MAX_BODY_BYTES, before a byte is read),
   * and the binding of each session to the client that opened it.
   */
  #installSockJs(server: Server, sockServer: sockjs.Server): void {
    const listener = (sockServer as unknown as SockJsServerInternals).listener({ prefix: SOCKJS_PREFIX });
    // sockjs answers malformed input (a body that is not a JSON array, a missing callback) with 500.
    listener.app.handle_500 = (_req: IncomingMessage, res: ServerResponse, x: { message?: string }) => {
      if (res.writableEnded) return;
      res.writeHead(400, { 'content-type': 'text/plain; charset=UTF-8' });
      res.end(x.message ?? 'bad request');
    };
    const handler = listener.getHandler();
    const binding = new SockJsSessionBinding(SOCKJS_PREFIX, this.config.trustProxy);
    const maxBody = this.config.limits.sockjsMaxBodyBytes;
    const isSockJs = (req: IncomingMessage) => (req.url ?? '').startsWith(`${SOCKJS_PREFIX}/`) || req.url === SOCKJS_PREFIX;

    const requestListeners = server.listeners('request') as Array<(...args: unknown[]) => void>;
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (!isSockJs(req)) {
        for (const listener of requestListeners) listener.call(server, req, res);
        return;
      }
      if (!this.#originAllowed(req)) {
        res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'forbidden', message: 'origin not allowed' } }));
        return;
      }
      if (!limitRequestBody(req, res, maxBody)) return;
      binding.handle(req, res, () => handler(req, res));
    });
    const upgradeListeners = server.listeners('upgrade') as Array<(...args: unknown[]) => void>;
    server.removeAllListeners('upgrade');
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!isSockJs(req)) {
        for (const listener of upgradeListeners) listener.call(server, req, socket, head);
        return;
      }
      if (!this.#originAllowed(req)) {
        rejectUpgrade(socket, 403, 'Forbidden');
        return;
      }
      // SockJS's websocket transports open a session of their own, never one named in the URL.
      handler(req, socket, head);
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
    const offered = req.headers['sec-websocket-protocol'];
    if (offered !== undefined && selectSubprotocol(parseSubprotocols(offered)) === undefined) {
      rejectUpgrade(socket, 400, 'Bad Request', `unsupported WebSocket subprotocol "${offered.slice(0, 100)}": offer ${SUBPROTOCOLS.join(', ')} (or stomp)\n`);
      return;
    }
    if (!this.#originAllowed(req)) {
      // A browser cannot read an HTTP status of a refused upgrade (it sees close 1006 only), so
      // the upgrade completes and is closed at once with a reason the page can show; no frame
      // of such a socket is ever read.
      const origin = String(req.headers.origin).slice(0, 60);
      this.#wss.handleUpgrade(req, socket, head, (ws: SessionSocket) => {
        ws.on('error', ignoreError);
        ws.close(CloseCodes.policyViolation, `origin not allowed: ${origin} (WS_ALLOWED_ORIGINS)`.slice(0, 123));
      });
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws: SessionSocket) => ws.attach(this.host.open(new WsTransport(ws, socket, this.#sharedDeflate))));
  }

  /**
   * Starts the optional STOMP-over-TCP listener (STOMP_TCP_PORT) for backend services; resolves
   * with the bound port. Same parser limits, authentication and heart-beats as /ws; no Origin
   * (no browser can reach it). Closed by close().
   */
  async listenTcp(port: number, host: string): Promise<number> {
    const server = createTcpServer({ noDelay: true }, (socket: Socket) => {
      if (this.host.draining()) {
        socket.destroy();
        return;
      }
      const transport = new TcpTransport(socket);
      transport.attach(this.host.open(transport));
    });
    this.#tcpServer = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.logger.error({ err }, 'STOMP TCP listener failed'));
    const address = server.address();
    return typeof address === 'object' && address !== null ? address.port : port;
  }

  close(): void {
    this.#wss.close();
    this.#tcpServer?.close();
  }
}

function rejectUpgrade(socket: Duplex, status: number, text: string, body = ''): void {
  const length = Buffer.byteLength(body);
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${length}\r\n\r\n${body}`);
}

function ignoreError(): void {}

function parseSubprotocols(header: string): Set<string> {
  return new Set(header.split(',').map((p) => p.trim()).filter((p) => p !== ''));
}

function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}
