import type { IStompSocket } from '@stomp/stompjs';

/** What the page asked for: `?transport=websocket|sockjs`, default auto. */
export type TransportChoice = 'auto' | 'websocket' | 'sockjs';
/** What a connection attempt actually uses. */
export type TransportKind = 'websocket' | 'sockjs';

export const STOMP_SUBPROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

export function transportChoiceFrom(search: string): TransportChoice {
  const value = new URLSearchParams(search).get('transport');
  return value === 'sockjs' || value === 'websocket' ? value : 'auto';
}

/**
 * `?heartbeat=<ms>`: the STOMP heart-beat interval the client asks for both ways (1000–60000),
 * for deployments whose proxies cut idle connections sooner than the default 10 s allows.
 */
export function heartbeatFrom(search: string): number | undefined {
  const value = Number(new URLSearchParams(search).get('heartbeat'));
  return Number.isInteger(value) && value >= 1000 && value <= 60_000 ? value : undefined;
}

/** In auto mode, native WebSocket attempts that failed to open, in a row, before falling back to SockJS. */
export const FALLBACK_AFTER_FAILURES = 2;

/**
 * Picks the transport for each attempt: SockJS when forced, when the browser
 * has no WebSocket, or when native WebSocket has never opened in this page
 * and failed to open several times in a row while the browser was online (a
 * proxy that strips Upgrade, say). Once fallen back, it stays on SockJS. A
 * WebSocket that worked once means later failures are the network or the
 * server, which SockJS would not fix.
 */
export class TransportSelector {
  readonly #choice: TransportChoice;
  #failedOpens = 0;
  #everOpened = false;
  #fellBack = false;

  constructor(choice: TransportChoice, hasWebSocket: boolean) {
    this.#choice = choice === 'auto' && !hasWebSocket ? 'sockjs' : choice;
  }

  current(): TransportKind {
    if (this.#choice === 'sockjs' || this.#fellBack) return 'sockjs';
    return 'websocket';
  }

  /** Records how an attempt ended: whether its socket ever opened, and whether the browser was online. */
  record(kind: TransportKind, opened: boolean, online: boolean): void {
    if (kind !== 'websocket') return;
    if (opened) {
      this.#everOpened = true;
      this.#failedOpens = 0;
      return;
    }
    if (!online) return;
    this.#failedOpens++;
    if (this.#choice === 'auto' && !this.#everOpened && this.#failedOpens >= FALLBACK_AFTER_FAILURES) {
      this.#fellBack = true;
    }
  }
}

/** Opens a socket of the given kind; SockJS is loaded on first use only. */
export async function socketFactory(kind: TransportKind, origin: URL): Promise<() => IStompSocket> {
  if (kind === 'websocket') {
    const url = new URL('/ws', origin);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return () => new WebSocket(url, STOMP_SUBPROTOCOLS) as IStompSocket;
  }
  const { default: SockJS } = await import('sockjs-client');
  const url = new URL('/sockjs', origin).href;
  return () => new SockJS(url) as unknown as IStompSocket;
}
