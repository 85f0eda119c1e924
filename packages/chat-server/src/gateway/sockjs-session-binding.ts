import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import proxyAddr from 'proxy-addr';

/** sockjs's registry of open sessions (not public API: lib/transport.js). */
const { Session } = createRequire(import.meta.url)('sockjs/lib/transport') as {
  Session: { bySessionId(id: string): object | null };
};

/** Set on SockJS responses for browsers that lack it; an HttpOnly secret no other client can read. */
export const SOCKJS_COOKIE = 'chorus-sockjs';
/** The chart's ingress affinity cookie: when the opening request carried it, later ones must too. */
export const AFFINITY_COOKIE = 'chorus-route';

/** `/sockjs/<server>/<session>/<transport>`, as sockjs routes it. */
const SESSION_PATH = /^\/([^/.]+)\/([^/.]+)\/([a-z_]+)\/?$/;

/**
 * Binds each SockJS session to the client that opened it. A SockJS session id travels in URLs
 * (and so in proxy logs), and sockjs serves any request naming it: polling reads the session's
 * frames and xhr_send writes as its user. The request that creates a session records who sent
 * it: the client's address (the socket's, or with TRUST_PROXY the one its trusted proxies
 * forwarded, so that a client reaching us through several ingress pods stays one client) and the
 * values of SOCKJS_COOKIE and AFFINITY_COOKIE (absent counts as a value); a later request naming
 * the session from anyone else is refused.
 *
 * The record hangs off sockjs's own session object (a WeakMap), so it lives exactly as long as
 * the session, and requests that create no session leave nothing behind.
 */
export class SockJsSessionBinding {
  readonly #owners = new WeakMap<object, string>();
  readonly #clientAddress: (req: IncomingMessage) => string;

  /** `trustProxy`: TRUST_PROXY's addresses, CIDRs and range names; empty = believe no proxy. */
  constructor(
    private readonly prefix: string,
    trustProxy: readonly string[] = [],
  ) {
    const trusted = trustProxy.length > 0 ? proxyAddr.compile([...trustProxy]) : null;
    this.#clientAddress = trusted ? (req) => proxyAddr(req, trusted) : (req) => req.socket.remoteAddress ?? '';
  }

  /**
   * Runs `handle` (sockjs's handler) for a request under the prefix, unless the request names a
   * session that another client opened; then answers 403 and returns false.
   */
  handle(req: IncomingMessage, res: ServerResponse, handle: () => void): boolean {
    if (!cookieOf(req, SOCKJS_COOKIE)) res.setHeader('set-cookie', `${SOCKJS_COOKIE}=${randomBytes(16).toString('base64url')}; Path=${this.prefix}; HttpOnly; SameSite=Lax`);
    const path = (req.url ?? '').split('?')[0]!.slice(this.prefix.length);
    const sessionId = req.method === 'OPTIONS' ? undefined : SESSION_PATH.exec(path)?.[2];
    if (sessionId === undefined) {
      handle();
      return true;
    }
    const existing = Session.bySessionId(sessionId);
    const client = `${this.#clientAddress(req)}|${cookieOf(req, SOCKJS_COOKIE) ?? ''}|${cookieOf(req, AFFINITY_COOKIE) ?? ''}`;
    if (existing) {
      const owner = this.#owners.get(existing);
      if (owner !== undefined && owner !== client) {
        res.writeHead(403, { 'content-type': 'text/plain; charset=UTF-8', connection: 'close' }).end('this SockJS session belongs to another client\n');
        return false;
      }
      handle();
      return true;
    }
    handle();
    // Opening transports (xhr, xhr_streaming, eventsource, ...) create the session synchronously.
    const created = Session.bySessionId(sessionId);
    if (created) this.#owners.set(created, client);
    return true;
  }
}

function cookieOf(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
