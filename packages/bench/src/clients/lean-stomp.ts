import WebSocket from 'ws';
import type { DeliveryHandler, LoadConnection } from './connection.js';
import { readStamp } from './payload.js';

/**
 * A lean STOMP 1.2 client for the load generator. It parses only what the
 * benchmark needs: the command, `receipt-id`, `message` of ERROR, and the send
 * stamp at the start of the `"text":"…"` field of a MESSAGE body, scanning the
 * Buffer without decoding it. Chorus writes one frame per WebSocket message;
 * several frames in one message (or heart-beat EOLs between them) are handled,
 * a frame split across messages is not (Chorus never does that).
 *
 * Receipts are matched in order: a Chorus session answers frames strictly in
 * arrival order, so a FIFO of callbacks is enough.
 */
const TEXT_FIELD = Buffer.from('"text":"');
const LF = 10;
const NUL = 0;

export interface LeanStompOptions {
  url: string;
  token: string;
  /** heart-beat header [cx, cy]; with cx > 0 the client beats at the negotiated interval (see startBeats). */
  heartbeat?: [number, number];
  onMessage?: DeliveryHandler;
  onError?: (message: string) => void;
  /** Source address of the socket (127.0.0.x spreads connections past the ephemeral-port limit). */
  localAddress?: string;
  /** Offer permessage-deflate (RFC 7692) as a browser does; off by default. */
  compression?: boolean;
}

type ReceiptCallback = (err?: Error) => void;

/**
 * Clients send heart-beats as stompjs does: an EOL every max(cx, sy) ms (cx offered in CONNECT,
 * sy asked for in CONNECTED), each on its own schedule from its CONNECTED. One timer looks at all
 * of them every BEAT_TICK_MS, so a load thread holds one timer, not one per connection.
 */
const BEAT_TICK_MS = 250;
const beating = new Map<LeanStompClient, { everyMs: number; nextAt: number }>();
let beatTimer: NodeJS.Timeout | undefined;
function startBeats(client: LeanStompClient, everyMs: number): void {
  beating.set(client, { everyMs, nextAt: Date.now() + everyMs });
  if (beatTimer) return;
  beatTimer = setInterval(() => {
    const now = Date.now();
    for (const [c, schedule] of beating) {
      if (now < schedule.nextAt) continue;
      c.beat();
      schedule.nextAt = Math.max(schedule.nextAt + schedule.everyMs, now);
    }
  }, BEAT_TICK_MS);
  beatTimer.unref();
}

/** The client's beat interval once CONNECTED says `heart-beat:sx,sy`: max(cx, sy), or 0 for none. */
function beatEvery(cx: number, connected: string): number {
  const sy = Number(/\nheart-beat:\d+,(\d+)/.exec(connected)?.[1] ?? 0);
  return cx > 0 && sy > 0 ? Math.max(cx, sy) : 0;
}

export class LeanStompClient implements LoadConnection {
  readonly #ws: WebSocket;
  readonly #receipts: ReceiptCallback[] = [];
  #nextReceipt = 1;
  #connected: { resolve: (frame: string) => void; reject: (err: Error) => void } | null = null;
  #closed = false;
  #destination = '';
  onMessage: DeliveryHandler | undefined;
  onError: ((message: string) => void) | undefined;

  private constructor(ws: WebSocket, options: LeanStompOptions) {
    this.#ws = ws;
    this.onMessage = options.onMessage;
    this.onError = options.onError;
    ws.on('message', (data: Buffer) => this.#receive(data));
    ws.on('close', () => this.#fail(new Error('connection closed')));
    ws.on('error', (err) => this.#fail(err));
  }

  /** Opens the socket, sends CONNECT with the bearer token and resolves on CONNECTED. */
  static connect(options: LeanStompOptions): Promise<LeanStompClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(options.url, ['v12.stomp'], { perMessageDeflate: options.compression === true, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
      const client = new LeanStompClient(ws, options);
      const [cx, cy] = options.heartbeat ?? [0, 0];
      client.#connected = {
        resolve: (frame: string) => {
          const everyMs = beatEvery(cx, frame);
          if (everyMs > 0) startBeats(client, everyMs);
          resolve(client);
        },
        reject,
      };
      ws.once('open', () => {
        ws.send(`CONNECT\naccept-version:1.2\nhost:chorus\nheart-beat:${cx},${cy}\nAuthorization:Bearer ${options.token}\n\n\0`);
      });
    });
  }

  /** SUBSCRIBE with a receipt; resolves when the subscription is live. */
  subscribe(destination: string, id = 'sub-0'): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#receipts.push((err) => (err ? reject(err) : resolve()));
      this.#ws.send(`SUBSCRIBE\nid:${id}\ndestination:${destination}\nreceipt:r${this.#nextReceipt++}\n\n\0`);
    });
  }

  /** Where publish() sends to. */
  target(destination: string): this {
    this.#destination = destination;
    return this;
  }

  publish(text: string): void {
    this.#ws.send(`SEND\ndestination:${this.#destination}\ncontent-type:text/plain\n\n${text}\0`);
  }

  publishConfirmed(text: string, done: ReceiptCallback): void {
    this.#receipts.push(done);
    this.#ws.send(`SEND\ndestination:${this.#destination}\ncontent-type:text/plain\nreceipt:r${this.#nextReceipt++}\n\n${text}\0`);
  }

  bytesRead(): number {
    return (this.#ws as unknown as { _socket?: { bytesRead: number } })._socket?.bytesRead ?? 0;
  }

  beat(): void {
    if (!this.#closed && this.#ws.readyState === WebSocket.OPEN) this.#ws.send('\n');
  }

  close(): void {
    this.#closed = true;
    beating.delete(this);
    this.#ws.terminate();
  }

  #receive(buf: Buffer): void {
    let i = 0;
    while (i < buf.length) {
      const c = buf[i]!;
      if (c === LF || c === 13) {
        i++; // heart-beat
        continue;
      }
      const end = buf.indexOf(NUL, i);
      const frameEnd = end === -1 ? buf.length : end;
      this.#frame(buf, i, frameEnd);
      i = frameEnd + 1;
    }
  }

  #frame(buf: Buffer, start: number, end: number): void {
    const first = buf[start];
    if (first === 77 /* M */) {
      const at = buf.indexOf(TEXT_FIELD, start);
      if (at !== -1 && at < end && this.onMessage) this.onMessage(readStamp(buf, at + TEXT_FIELD.length));
    } else if (first === 82 /* R */) {
      this.#receipts.shift()?.();
    } else if (first === 67 /* C */) {
      const connected = this.#connected;
      this.#connected = null;
      connected?.resolve(buf.toString('latin1', start, end));
    } else if (first === 69 /* E */) {
      const text = buf.toString('utf8', start, end);
      const message = /\nmessage:([^\n]*)/.exec(text)?.[1] ?? text.slice(0, 200);
      this.#fail(new Error(`STOMP ERROR: ${message}`));
    }
  }

  #fail(err: Error): void {
    if (this.#closed && this.#receipts.length === 0 && !this.#connected) return;
    const wasClosed = this.#closed;
    this.#closed = true;
    beating.delete(this);
    this.#connected?.reject(err);
    this.#connected = null;
    for (const cb of this.#receipts.splice(0)) cb(err);
    this.#ws.terminate(); // the server closes after ERROR anyway
    if (!wasClosed) this.onError?.(err.message);
  }
}
