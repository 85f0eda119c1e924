import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { HEARTBEAT_EOL } from '../protocol/codec/index.js';
import type { Transport } from '../stomp/transport.js';
import { compressedFrameHeader, type SharedDeflate } from './shared-deflate.js';
import { PlainTextFrames } from './websocket-frame.js';

const TEXT_FRAME = { binary: false } as const;
/** A heart-beat as a whole WebSocket text frame (FIN, opcode 1, unmasked, 1 byte: LF). */
const EOL_FRAME = Buffer.from([0x81, 0x01, 0x0a]);
/** Shared by all connections: a fan-out's clients take the same frame in turn. */
const plainFrames = new PlainTextFrames();

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
 *
 * Uncompressed frames are framed here too, once per payload for all clients (PlainTextFrames),
 * wherever ws would write them synchronously anyway: no extension negotiated, or shared
 * compression (ws is told never to compress). Only a connection with per-connection
 * compression (ws's own, which may queue frames while deflating) sends through ws.send.
 */
export class WsTransport implements Transport {
  #corked = false;
  readonly #deflate: SharedDeflate | null;
  /** Whether plain frames may be written to the stream directly (ws holds no queue). */
  readonly #framesHere: boolean;

  constructor(
    private readonly socket: WebSocket,
    /** The upgraded TCP socket under `socket`. */
    private readonly stream: Duplex,
    deflate?: SharedDeflate,
  ) {
    this.#deflate = deflate?.appliesTo(socket) ? deflate : null;
    this.#framesHere = this.#deflate !== null || socket.extensions === '';
  }

  /** A getter, not a field: the same for every connection, so no slot in each one's transport. */
  get kind(): 'websocket' {
    return 'websocket';
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  send(data: Buffer): void {
    // A heart-beat goes out on a connection that wrote nothing for seconds, and nothing follows it
    // in the same turn: written straight away, it skips corking (buffering, then a flush tick).
    if (data === HEARTBEAT_EOL && !this.#corked && this.#framesHere) {
      if (this.socket.readyState === this.socket.OPEN) this.stream.write(EOL_FRAME);
      return;
    }
    if (!this.#corked) {
      this.#corked = true;
      this.stream.cork();
      corkedTransports.push(this);
      if (corkedTransports.length === 1) process.nextTick(flushCorked);
    }
    if (!this.#framesHere) {
      this.socket.send(data, TEXT_FRAME);
      return;
    }
    if (this.socket.readyState !== this.socket.OPEN) return; // as ws.send drops after close
    const deflate = this.#deflate;
    if (deflate !== null && deflate.compresses(data.length)) {
      const payload = deflate.payload(data);
      this.stream.write(compressedFrameHeader(payload.length));
      this.stream.write(payload);
      return;
    }
    const frame = plainFrames.for(data);
    this.stream.write(frame[0]!);
    if (frame.length > 1) this.stream.write(frame[1]!);
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
