import type { WebSocket } from 'ws';
import type { Transport } from './transport.js';

const TEXT_FRAME = { binary: false } as const;

/** A native WebSocket (`ws`) under a STOMP session. Frames go out as text messages. */
export class WsTransport implements Transport {
  readonly kind = 'websocket';

  constructor(
    private readonly socket: WebSocket,
    readonly remoteAddress: string,
  ) {}

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  send(data: Buffer): void {
    this.socket.send(data, TEXT_FRAME);
  }

  close(code: number, reason: string): void {
    // RFC 6455 limits the close reason to 123 bytes.
    this.socket.close(code, Buffer.from(reason).subarray(0, 123));
  }

  terminate(): void {
    this.socket.terminate();
  }
}
