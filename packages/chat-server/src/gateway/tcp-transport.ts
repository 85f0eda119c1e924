import type { Socket } from 'node:net';
import type { StompSession } from '../stomp/session.js';
import type { Transport } from '../stomp/transport.js';

/**
 * A plain TCP connection under a STOMP session (STOMP_TCP_PORT, for backend services and
 * clients such as stomp.py that speak STOMP over TCP only, as RabbitMQ and ActiveMQ offer).
 * Frames are written to the stream as they are; the same parser limits, authentication
 * (CONNECT's Authorization or passcode) and heart-beats apply as on /ws.
 */
export class TcpTransport implements Transport {
  readonly kind = 'tcp';
  session: StompSession | undefined;

  constructor(readonly socket: Socket) {}

  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  send(data: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** TCP has no close code: the ERROR frame sent before (when there was one) says why. */
  close(): void {
    this.socket.end();
  }

  terminate(): void {
    this.socket.destroy();
  }

  /** Hands the socket's traffic to `session`, through listeners shared by every connection. */
  attach(session: StompSession): void {
    this.session = session;
    transports.set(this.socket, this);
    this.socket.on('data', onData);
    this.socket.on('close', onClose);
    this.socket.on('error', onError);
  }
}

/** The transport of each socket; module-level listeners find it here instead of closing over it. */
const transports = new WeakMap<Socket, TcpTransport>();

function onData(this: Socket, chunk: Buffer): void {
  transports.get(this)?.session?.receive(chunk);
}

function onClose(this: Socket): void {
  transports.get(this)?.session?.closed();
}

function onError(this: Socket, err: Error): void {
  transports.get(this)?.session?.transportError(err);
}
