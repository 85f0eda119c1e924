import { constants, deflateRawSync } from 'node:zlib';
import type { WsCompressionConfig } from '@chorus/core';
import type { WebSocket } from 'ws';
import { textFrameHeader } from './websocket-frame.js';

/** The trailer of a sync flush, which RFC 7692 §7.2.1 has the sender strip. */
const SYNC_FLUSH_TAIL = 4;

/** The header of an unmasked, final, compressed (RSV1) text frame of `length` payload bytes. */
export function compressedFrameHeader(length: number): Buffer {
  return textFrameHeader(length, true);
}

/** Negotiated permessage-deflate parameters, as ws keeps them on its extension object. */
interface DeflateParams {
  server_no_context_takeover?: boolean;
  server_max_window_bits?: number;
}

/**
 * permessage-deflate compressed once per frame for every connection, instead of once per
 * connection. Without context takeover a message is compressed alone, so its compressed
 * payload depends only on its bytes and the window: every connection that negotiated the
 * configured window gets the same bytes. Fan-out frames are shared Buffers (PreparedMessage
 * caches one per subscription id), so a message to ten thousand subscribers is deflated
 * once, and no connection holds a zlib context for sending (ws's own compression keeps one
 * per connection, tens of KB each).
 */
export class SharedDeflate {
  /** Compressed payloads by frame; entries go with their frames. */
  readonly #cache = new WeakMap<Buffer, Buffer>();
  readonly #options: { windowBits: number; memLevel: number; level: number; finishFlush: number };

  constructor(readonly config: WsCompressionConfig) {
    this.#options = { windowBits: config.windowBits, memLevel: config.memLevel, level: 6, finishFlush: constants.Z_SYNC_FLUSH };
  }

  /** Whether frames of this many bytes are sent compressed. */
  compresses(bytes: number): boolean {
    return bytes >= this.config.thresholdBytes;
  }

  /**
   * Whether this connection can take shared payloads: it negotiated permessage-deflate with
   * no server context takeover and a server window at least the configured one (none named =
   * 15). Other connections (none negotiated, or a client that asked for a smaller window) are
   * served by ws as usual.
   */
  appliesTo(socket: WebSocket): boolean {
    const extension = (socket as unknown as { _extensions?: Record<string, { params?: DeflateParams } | undefined> })._extensions?.['permessage-deflate'];
    const params = extension?.params;
    if (!params || params.server_no_context_takeover !== true) return false;
    return (params.server_max_window_bits ?? 15) >= this.config.windowBits;
  }

  /** The frame's compressed payload (cached while the frame lives). */
  payload(frame: Buffer): Buffer {
    let compressed = this.#cache.get(frame);
    if (!compressed) {
      const flushed = deflateRawSync(frame, this.#options);
      compressed = flushed.subarray(0, flushed.length - SYNC_FLUSH_TAIL);
      this.#cache.set(frame, compressed);
    }
    return compressed;
  }
}
