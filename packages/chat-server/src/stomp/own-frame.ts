import { ownString } from '../util/own-string.js';
import type { StompFrame } from '../protocol/codec/index.js';

/**
 * A frame that owns its bytes. The parser's body may be a view of the whole chunk it was
 * parsed from (a WebSocket message of up to 4 frames' worth, padding included) and its header
 * strings views of the frame's header block; a frame kept for long must pin neither.
 */
export function ownFrame(frame: StompFrame): StompFrame {
  const headers = new Map<string, string>();
  for (const [name, value] of frame.headers) headers.set(ownString(name), ownString(value));
  return { command: frame.command, headers, body: ownBytes(frame.body) };
}

/**
 * The frame with a body of its own when its body is a view of a larger chunk (its header
 * strings hold only the header block, which the frame limits bound). For frames that wait
 * in a queue: a small frame after 190 KB of padding would otherwise keep all 190 KB.
 */
export function withOwnBody(frame: StompFrame): StompFrame {
  if (frame.body.buffer.byteLength <= frame.body.length + 1024) return frame;
  return { command: frame.command, headers: frame.headers, body: ownBytes(frame.body) };
}

function ownBytes(bytes: Buffer): Buffer {
  // allocUnsafeSlow: an exact-size buffer outside the shared pool, which a small copy would pin.
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(copy);
  return copy;
}
