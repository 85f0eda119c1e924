import WebSocket from 'ws';
import type { DeliveryHandler, LoadConnection } from './connection.js';
import { readStamp } from './payload.js';

/**
 * A lean Socket.IO 4 client (Engine.IO v4 over WebSocket only) for the load
 * generator: open → "40" namespace connect → events as `42[...]`, acks as
 * `43<id>[...]`, answering pings ("2" → "3"). A received `42["msg","<text>"]`
 * has its text at byte 10, where the send stamp starts.
 */
const MSG_PREFIX = Buffer.from('42["msg","');

export class LeanSocketIoClient implements LoadConnection {
  readonly #ws: WebSocket;
  readonly #acks = new Map<number, () => void>();
  #nextAck = 1;
  #room = '';
  #ready: { resolve: () => void; reject: (err: Error) => void } | null = null;
  onMessage: DeliveryHandler | undefined;

  private constructor(ws: WebSocket, onMessage: DeliveryHandler | undefined) {
    this.#ws = ws;
    this.onMessage = onMessage;
    ws.on('message', (data: Buffer) => this.#receive(data));
    ws.on('close', () => this.#fail(new Error('connection closed')));
    ws.on('error', (err) => this.#fail(err));
  }

  static connect(baseUrl: string, onMessage?: DeliveryHandler, localAddress?: string): Promise<LeanSocketIoClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${baseUrl}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false, ...(localAddress ? { localAddress } : {}) });
      const client = new LeanSocketIoClient(ws, onMessage);
      client.#ready = { resolve: () => resolve(client), reject };
    });
  }

  join(room: string): Promise<void> {
    this.#room = room;
    return new Promise((resolve) => {
      const id = this.#nextAck++;
      this.#acks.set(id, resolve);
      this.#ws.send(`42${id}["join",${JSON.stringify(room)}]`);
    });
  }

  target(room: string): this {
    this.#room = room;
    return this;
  }

  publish(text: string): void {
    this.#ws.send(`42["pub",${JSON.stringify(this.#room)},"${text}"]`);
  }

  close(): void {
    this.#ready = null;
    this.#ws.terminate();
  }

  #receive(buf: Buffer): void {
    const type = buf[0];
    if (type === 52 /* 4: message */) {
      const kind = buf[1];
      if (kind === 50 /* 2: event */) {
        if (this.onMessage && buf.compare(MSG_PREFIX, 0, MSG_PREFIX.length, 0, MSG_PREFIX.length) === 0) {
          this.onMessage(readStamp(buf, MSG_PREFIX.length));
        }
      } else if (kind === 51 /* 3: ack */) {
        const id = readStamp(buf, 2);
        const ack = this.#acks.get(id);
        this.#acks.delete(id);
        ack?.();
      } else if (kind === 48 /* 0: connect */) {
        const ready = this.#ready;
        this.#ready = null;
        ready?.resolve();
      } else if (kind === 52 /* 4: connect_error */) {
        this.#fail(new Error(`socket.io connect error: ${buf.toString()}`));
      }
    } else if (type === 50 /* 2: ping */) {
      this.#ws.send('3');
    } else if (type === 48 /* 0: open */) {
      this.#ws.send('40');
    }
  }

  #fail(err: Error): void {
    this.#ready?.reject(err);
    this.#ready = null;
  }
}
