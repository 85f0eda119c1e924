import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Transport } from '../stomp/transport.js';
import { compressedFrameHeader, type SharedDeflate } from './shared-deflate.js';

const TEXT_FRAME = { binary: false } as const;
/** On a connection whose compression is shared, ws never compresses (it would keep a zlib context). */
const PLAIN_TEXT_FRAME = { binary: false, compress: false } as const;

/**
 * A native WebSocket (`ws`) under a STOMP session. Frames go out as text messages.
 *
 * Writes are coalesced per turn of the event loop: the first send in a turn corks the
 * socket and the end of the turn uncorks it, so the MESSAGE frames of a burst (a group
 * commit's messages, a pub/sub read holding several) reach the kernel in one writev per
 * client instead of one each. Every frame is still its own WebSocket message.
 *
 * With permessage-deflate negotiated (WS_COMPRESSION), frames over the threshold go out with the
 * payload SharedDeflate compressed once for all connections, written to the socket after
 * whatever ws wrote before them (ws never queues here: it compresses nothing itself), so the
 * order of frames and the unsent-bytes count (bufferedAmount) hold as without compression.
 */
export class WsTransport implements Transport {
  readonly kind = 'websocket';
  #corked = false;
  readonly #deflate: SharedDeflate | null;

  constructor(
    private readonly socket: WebSocket,
    /** The upgraded TCP socket under `socket`. */
    private readonly stream: Duplex,
    deflate?: SharedDeflate,
  ) {
    this.#deflate = deflate?.appliesTo(socket) ? deflate : null;
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  send(data: Buffer): void {
    if (!this.#corked) {
      this.#corked = true;
      this.stream.cork();
      corkedTransports.push(this);
      if (corkedTransports.length === 1) process.nextTick(flushCorked);
    }
    const deflate = this.#deflate;
    if (deflate === null) {
      this.socket.send(data, TEXT_FRAME);
    } else if (!deflate.compresses(data.length)) {
      this.socket.send(data, PLAIN_TEXT_FRAME);
    } else {
      if (this.socket.readyState !== this.socket.OPEN) return; // as ws.send drops after close
      const payload = deflate.payload(data);
      this.stream.write(compressedFrameHeader(payload.length));
      this.stream.write(payload);
    }
  }

  /** Called once per corked turn. */
  flush(): void {
    this.#corked = false;
    this.stream.uncork();
  }

  close(code: number, reason: string): void {
    // RFC 6455 limits the close reason to 123 bytes.
    this.socket.close(code, Buffer.from(reason).subarray(0, 123));
  }

  terminate(): void {
    this.socket.terminate();
  }
}

/**
 * Transports corked in this turn. One tick callback flushes them all: a fan-out to a thousand
 * clients schedules one callback, not a thousand.
 */
let corkedTransports: WsTransport[] = [];

function flushCorked(): void {
  // A send during the flush (from a write callback) starts a new list and its own tick.
  const transports = corkedTransports;
  corkedTransports = [];
  for (const transport of transports) {
    try {
      transport.flush();
    } catch {
      // A socket that cannot be uncorked is being destroyed; the others must still be flushed.
    }
  }
}
