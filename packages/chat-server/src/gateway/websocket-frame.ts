/**
 * Server-to-client WebSocket frames built here instead of by `ws`, for the fan-out path
 * (RFC 6455 §5.2: final, unmasked; 7-bit length, or 126 + 16-bit, or 127 + 64-bit).
 */

const FIN_TEXT = 0x80 | 0x1;
const RSV1 = 0x40;
/** Up to this payload size a frame is one buffer (header + payload copied); above, two. */
const MAX_COPIED_PAYLOAD = 16 * 1024;

/** The header of a final, unmasked text frame of `length` payload bytes; `compressed` sets RSV1. */
export function textFrameHeader(length: number, compressed: boolean): Buffer {
  return writeHeader(Buffer.allocUnsafe(headerLength(length)), length, compressed ? FIN_TEXT | RSV1 : FIN_TEXT);
}

function headerLength(length: number): number {
  return length < 126 ? 2 : length < 65_536 ? 4 : 10;
}

function writeHeader(out: Buffer, length: number, first: number): Buffer {
  out[0] = first;
  if (length < 126) {
    out[1] = length;
  } else if (length < 65_536) {
    out[1] = 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(0, 2);
    out.writeUInt32BE(length, 6);
  }
  return out;
}

/**
 * The complete text frame for `payload`, remembered for the payload last asked for. A fan-out
 * hands the same STOMP frame buffer (one per message and subscription id) to every subscriber in
 * turn, so the frame is built once per message rather than once per client, and each client's
 * write is one buffer: what ws does per send (a header allocation, two writes, a writev of two
 * pieces) is paid once. The returned buffers are shared and must not be modified.
 */
export class PlainTextFrames {
  #lastPayload: Buffer | null = null;
  #lastFrame: readonly Buffer[] = [];

  /** One buffer, or header and payload for payloads over MAX_COPIED_PAYLOAD. */
  for(payload: Buffer): readonly Buffer[] {
    if (payload === this.#lastPayload) return this.#lastFrame;
    const length = payload.length;
    let frame: Buffer[];
    if (length <= MAX_COPIED_PAYLOAD) {
      const head = headerLength(length);
      const out = Buffer.allocUnsafe(head + length);
      writeHeader(out, length, FIN_TEXT);
      payload.copy(out, head);
      frame = [out];
    } else {
      frame = [textFrameHeader(length, false), payload];
    }
    this.#lastPayload = payload;
    this.#lastFrame = frame;
    return frame;
  }
}
