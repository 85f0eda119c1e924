import { StompEncodeError } from './errors.js';
import { checkVerbatimHeader, escapeHeader, type StompVersion } from './escape.js';
import { COMMAND_PATTERN, hasVerbatimHeaders } from './frame.js';

export type HeaderInput = Iterable<readonly [string, string]> | Record<string, string>;

/** A heart-beat: one EOL sent between frames. */
export const HEARTBEAT_EOL: Buffer = Buffer.from('\n');

/**
 * Encodes a frame: escapes header names/values per `version` (default 1.2; see escapeHeader), except in CONNECT/CONNECTED
 * frames, which the spec says are not escaped), adds content-length for a non-empty body,
 * appends NUL. Headers keep their order, repeats included. The encoder owns content-length:
 * a caller-supplied one is dropped, so the header always matches the body.
 * Throws StompEncodeError for a command that is not [A-Z]{1,32} or a header that cannot be
 * represented (an empty name, a NUL anywhere, a line break or name colon in CONNECT/CONNECTED).
 */
export function encodeFrame(command: string, headers: HeaderInput, body?: string | Buffer, version: StompVersion = '1.2'): Buffer {
  return assembleFrame(encodeHead(command, headers, version), body);
}

/** The command and header lines of a frame, without content-length or the blank line. */
export function encodeHead(command: string, headers: HeaderInput, version: StompVersion = '1.2'): string {
  if (!COMMAND_PATTERN.test(command)) throw new StompEncodeError(`invalid STOMP command ${JSON.stringify(command)}`);
  const verbatim = hasVerbatimHeaders(command);
  let head = command + '\n';
  const entries = isIterable(headers) ? headers : Object.entries(headers);
  for (const [name, value] of entries) {
    if (name === 'content-length') continue;
    head += encodeHeaderLine(name, value, verbatim, version);
  }
  return head;
}

/** One `name:value\n` line, escaped unless the frame is CONNECT/CONNECTED. */
export function encodeHeaderLine(name: string, value: string, verbatim = false, version: StompVersion = '1.2'): string {
  if (typeof name !== 'string' || typeof value !== 'string') {
    throw new StompEncodeError(`header ${String(name)} must have a string name and value`);
  }
  if (name.length === 0) throw new StompEncodeError('a STOMP header name cannot be empty');
  if (verbatim) {
    checkVerbatimHeader(name, value);
    return name + ':' + value + '\n';
  }
  return escapeHeader(name, version) + ':' + escapeHeader(value, version) + '\n';
}

/** Completes an encoded head with content-length (for a non-empty body), the blank line, the body and NUL. */
export function assembleFrame(head: string, body: string | Buffer = ''): Buffer {
  const bodyBytes = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  const fullHead = bodyBytes > 0 ? head + 'content-length:' + bodyBytes + '\n\n' : head + '\n';
  const headBytes = Buffer.byteLength(fullHead);
  const out = Buffer.allocUnsafe(headBytes + bodyBytes + 1);
  out.write(fullHead, 0, 'utf8');
  if (typeof body === 'string') out.write(body, headBytes, 'utf8');
  else body.copy(out, headBytes);
  out[headBytes + bodyBytes] = 0;
  return out;
}

function isIterable(headers: HeaderInput): headers is Iterable<readonly [string, string]> {
  return typeof (headers as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function';
}
