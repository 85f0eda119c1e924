import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Connection } from 'sockjs';
import type { Transport } from '../stomp/transport.js';

/**
 * What sockjs 0.3 keeps for a connection (none of it is public API). `_session` is a
 * Session for the SockJS transports (websocket, xhr-streaming, xhr-polling, ...): frames wait
 * in `send_buffer` while no receiver is attached (between polls, or after a streaming response
 * reached its size limit), and the attached receiver writes them to its socket: a
 * faye-websocket on `recv.connection`, or an HTTP response. For the raw `/sockjs/websocket`
 * endpoint `_session` is the receiver itself, with the socket at `recv.connection`.
 */
interface SockJsSession {
  send_buffer?: string[];
  recv?: { connection?: Socket | null; response?: ServerResponse | null } | null;
}

/**
 * A SockJS connection under a STOMP session. SockJS carries strings, so frames
 * are decoded once here. Its unsent bytes are measured like a WebSocket's, so that
 * every transport is cut off at the same SEND_BUFFER_BYTES.
 */
export class SockJsTransport implements Transport {
  readonly kind = 'sockjs';
  /** The send buffer counted so far (sockjs swaps in a new array when it flushes). */
  #counted: string[] | undefined;
  #countedItems = 0;
  #countedChars = 0;
  /** The socket under the connection when it was closed, for terminate(). */
  #closingSocket: Socket | undefined;

  constructor(private readonly conn: Connection) {}

  get #session(): SockJsSession | undefined {
    return (this.conn as unknown as { _session?: SockJsSession })._session;
  }

  /**
   * Bytes not yet written to the network: frames waiting in sockjs's buffer (counted in
   * UTF-16 units, as sockjs holds them; frames are mostly ASCII) plus what the socket of the
   * attached receiver still holds. The buffer only grows until sockjs replaces it, so it is
   * counted incrementally: this getter runs on every write.
   */
  get bufferedAmount(): number {
    const session = this.#session;
    let total = 0;
    const buffer = session?.send_buffer;
    if (buffer) {
      if (buffer !== this.#counted) {
        this.#counted = buffer;
        this.#countedItems = 0;
        this.#countedChars = 0;
      }
      for (let i = this.#countedItems; i < buffer.length; i++) this.#countedChars += buffer[i]!.length;
      this.#countedItems = buffer.length;
      total += this.#countedChars;
    }
    const socket = socketOf(session);
    if (socket) total += socket.writableLength;
    return total;
  }

  send(data: Buffer): void {
    this.conn.write(data.toString('utf8'));
  }

  close(code: number, reason: string): void {
    this.#closingSocket = socketOf(this.#session) ?? undefined;
    // SockJS reserves 1000/3000-4999 for applications; map protocol codes into its range.
    const sockCode = code === 1000 || (code >= 3000 && code <= 4999) ? code : 3000 + (code % 1000);
    this.conn.close(String(sockCode), reason.slice(0, 120));
  }

  terminate(): void {
    // sockjs's destroy() only closes politely; a client that does not read holds its socket's buffer.
    const socket = this.#closingSocket ?? socketOf(this.#session);
    this.conn.destroy();
    socket?.destroy();
  }
}

function socketOf(session: SockJsSession | undefined): Socket | null | undefined {
  const recv = session?.recv;
  return recv?.connection ?? recv?.response?.socket;
}
