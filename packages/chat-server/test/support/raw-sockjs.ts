import http from 'node:http';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

export type SockJsKind = 'websocket' | 'xhr-streaming' | 'xhr-polling';

export interface HttpReply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

export interface RequestOptions {
  /** Local address to connect from (any 127.0.0.0/8 address reaches a server on 127.0.0.1). */
  localAddress?: string;
  headers?: http.OutgoingHttpHeaders;
}

/** One plain HTTP request (no agent, no keep-alive), resolving with the whole reply. */
export function request(url: string, method: string, body?: string | Buffer, options: RequestOptions = {}): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, localAddress: options.localAddress, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A SockJS client written by hand over one transport, for tests that need what sockjs-client
 * hides: a client that stops reading, that stops polling, or that reuses another's session id.
 * Received SockJS messages are STOMP text (Chorus writes one or more frames per message).
 */
export class RawSockJs {
  /** STOMP data received, one entry per SockJS message. */
  readonly messages: string[] = [];
  closeFrame: string | undefined;
  /** websocket: resolves with the close code of the WebSocket. */
  socketClosed: Promise<number> = new Promise(() => {});
  #ws: WebSocket | undefined;
  #stream: http.IncomingMessage | undefined;
  #waiters: Array<() => void> = [];
  #read = 0;

  private constructor(
    readonly base: string,
    readonly kind: SockJsKind,
    readonly options: RequestOptions,
  ) {}

  /** Opens a session: `baseUrl` is the server's http URL. */
  static async open(baseUrl: string, kind: SockJsKind, options: RequestOptions & { sessionId?: string } = {}): Promise<RawSockJs> {
    const client = new RawSockJs(`${baseUrl}/sockjs/000/${options.sessionId ?? randomUUID().slice(0, 8)}`, kind, options);
    if (kind === 'websocket') {
      const ws = new WebSocket(`${client.base.replace(/^http/, 'ws')}/websocket`, { localAddress: options.localAddress, headers: options.headers as Record<string, string> });
      client.#ws = ws;
      client.socketClosed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
      ws.on('message', (data: Buffer) => client.#onSockJsFrame(data.toString()));
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
    } else if (kind === 'xhr-streaming') {
      await new Promise<void>((resolve, reject) => {
        const req = http.request(`${client.base}/xhr_streaming`, { method: 'POST', agent: false, localAddress: options.localAddress, headers: options.headers }, (res) => {
          client.#stream = res;
          let partial = '';
          res.setEncoding('utf8');
          res.on('data', (text: string) => {
            partial += text;
            let nl: number;
            while ((nl = partial.indexOf('\n')) >= 0) {
              const line = partial.slice(0, nl);
              partial = partial.slice(nl + 1);
              if (!/^h+$/.test(line)) client.#onSockJsFrame(line);
            }
          });
          resolve();
        });
        req.on('error', reject);
        req.end();
      });
    } else {
      await client.poll();
    }
    await client.#until(() => client.#opened, 5000, 'the SockJS open frame');
    return client;
  }

  #opened = false;

  #onSockJsFrame(frame: string): void {
    if (frame === 'o') this.#opened = true;
    else if (frame.startsWith('a')) for (const m of JSON.parse(frame.slice(1)) as string[]) this.messages.push(m);
    else if (frame.startsWith('c')) this.closeFrame = frame;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Sends a raw SockJS payload over the WebSocket. */
  sendRaw(payload: string): void {
    this.#ws!.send(payload);
  }

  /** Sends STOMP text: over the WebSocket, or as an xhr_send request (resolving with its reply). */
  async send(stomp: string): Promise<HttpReply | undefined> {
    const body = JSON.stringify([stomp]);
    if (this.#ws) {
      this.#ws.send(body);
      return undefined;
    }
    return request(`${this.base}/xhr_send`, 'POST', body, { ...this.options, headers: { 'content-type': 'text/plain', ...this.options.headers } });
  }

  /** xhr-polling: one poll request; its reply's SockJS frames are recorded. */
  async poll(): Promise<HttpReply> {
    const reply = await request(`${this.base}/xhr`, 'POST', undefined, this.options);
    if (reply.status === 200) for (const line of reply.body.split('\n')) if (line !== '') this.#onSockJsFrame(line);
    return reply;
  }

  /** The next STOMP message not yet returned; polls when the transport is xhr-polling. */
  async next(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length <= this.#read) {
      if (this.kind === 'xhr-polling') await this.poll();
      else await this.#until(() => this.messages.length > this.#read, deadline - Date.now(), 'a SockJS message');
      if (Date.now() > deadline) throw new Error('timed out waiting for a SockJS message');
    }
    return this.messages[this.#read++]!;
  }

  /** Stops reading: the socket under the WebSocket or the streaming response is paused. */
  pause(): void {
    (this.#ws as unknown as { _socket?: { pause(): void } } | undefined)?._socket?.pause();
    this.#stream?.pause();
    this.#stream?.socket.pause();
  }

  close(): void {
    this.#ws?.terminate();
    this.#stream?.destroy();
  }

  async #until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`timed out waiting for ${what}`);
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
