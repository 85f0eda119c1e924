import WebSocket from 'ws';
import { STOMP_SUBPROTOCOLS } from './stomp-clients.js';

export interface RawFrame {
  command: string;
  headers: Record<string, string>;
  body: string;
}

/** A bare `ws` client that speaks STOMP by hand, for malformed and edge-case input. */
export class RawStompClient {
  readonly frames: RawFrame[] = [];
  closeCode: number | undefined;
  closeReason = '';
  /** Heart-beat EOLs received between frames. */
  heartbeats = 0;
  /** How many whole frames each received WebSocket message completed. */
  readonly framesPerMessage: number[] = [];
  #buffer = '';
  #waiters: Array<() => void> = [];
  readonly closed: Promise<number>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      if (this.#buffer === '' && /^(\r?\n)+$/.test(text)) {
        this.heartbeats++;
        this.#notify();
        return;
      }
      this.#buffer += text;
      let nul: number;
      let completed = 0;
      while ((nul = this.#buffer.indexOf('\0')) >= 0) {
        const raw = this.#buffer.slice(0, nul).replace(/^(\r?\n)+/, '');
        this.#buffer = this.#buffer.slice(nul + 1);
        this.frames.push(parse(raw));
        completed++;
      }
      this.framesPerMessage.push(completed);
      this.#buffer = this.#buffer.replace(/^(\r?\n)+/, '');
      this.#notify();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        this.#notify();
        resolve(code);
      });
    });
  }

  static async open(wsUrl: string): Promise<RawStompClient> {
    const socket = new WebSocket(wsUrl, STOMP_SUBPROTOCOLS);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new RawStompClient(socket);
  }

  /** A client over an already open socket (e.g. one opened with other ws options). */
  static wrap(socket: WebSocket): RawStompClient {
    return new RawStompClient(socket);
  }

  static async connected(wsUrl: string, token: string, extra = ''): Promise<RawStompClient> {
    const client = await RawStompClient.open(wsUrl);
    client.send(`CONNECT\naccept-version:1.2\nhost:chorus\nAuthorization:Bearer ${token}\n${extra}\n\0`);
    const frame = await client.next();
    if (frame.command !== 'CONNECTED') throw new Error(`expected CONNECTED, got ${frame.command}: ${frame.headers['message']}`);
    return client;
  }

  send(data: string | Buffer): void {
    this.socket.send(data);
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  #read = 0;

  /** The next frame not yet returned by next(); rejects if the socket closes first or on timeout. */
  async next(timeoutMs = 5000): Promise<RawFrame> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length <= this.#read) {
      if (this.closeCode !== undefined) throw new Error(`socket closed (${this.closeCode} ${this.closeReason}) with no more frames`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error('timed out waiting for a frame');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.frames[this.#read++]!;
  }

  /** Resolves once `count` heart-beats arrived; rejects on timeout. */
  async waitForHeartbeats(count: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.heartbeats < count) {
      const remaining = deadline - Date.now();
      if (remaining <= 0 || this.closeCode !== undefined) throw new Error(`got ${this.heartbeats} heart-beats, wanted ${count}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.terminate();
  }
}

function parse(raw: string): RawFrame {
  const blank = raw.indexOf('\n\n');
  const head = blank >= 0 ? raw.slice(0, blank) : raw;
  const body = blank >= 0 ? raw.slice(blank + 2) : '';
  const [command = '', ...lines] = head.split('\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon);
    if (!(name in headers)) headers[name] = line.slice(colon + 1);
  }
  return { command, headers, body };
}
