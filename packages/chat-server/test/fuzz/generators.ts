import fc from 'fast-check';
import { encodeFrame, type ParserLimits } from '../../src/protocol/codec/index.js';

/** fast-check generators of hostile STOMP input, shared by the parser and live-endpoint fuzz suites. */

export const bytesOf = (...parts: (string | Buffer | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));


export const limits: fc.Arbitrary<ParserLimits> = fc.record({
  maxFrameBytes: fc.integer({ min: 16, max: 2048 }),
  maxHeaders: fc.integer({ min: 1, max: 40 }),
  maxHeaderBytes: fc.integer({ min: 8, max: 256 }),
});

/** Text safe inside a header line: no NUL, CR, LF, backslash or colon. */
export const plainText = (maxLength: number) =>
  fc.string({ unit: fc.oneof(fc.constantFrom('a', 'Z', '0', ' ', '-', '/', 'é', '😀', '\u{fffd}'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), maxLength })
    .map((s) => s.replace(/[\0\r\n\\:]/g, '_'));
export const headerName = plainText(12).filter((s) => s.length > 0 && s !== 'content-length');
export const commandName = fc.oneof(fc.constantFrom('SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'CONNECT', 'STOMP', 'DISCONNECT', 'BEGIN', 'ACK'), fc.stringMatching(/^[A-Z]{1,32}$/));

/** A well-formed frame (encodeFrame escapes its headers and adds content-length to bodies). */
export const validFrame = fc
  .record({
    command: fc.constantFrom('SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'DISCONNECT', 'BEGIN', 'FROB'),
    headers: fc.array(fc.tuple(headerName, fc.string({ maxLength: 20 }).map((s) => s.replaceAll('\0', ''))), { maxLength: 5 }),
    body: fc.oneof(fc.constant(''), fc.string({ maxLength: 60 }), fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b))),
  })
  .map(({ command, headers, body }) => encodeFrame(command, headers, body));
export const heartbeat = fc.constantFrom(Buffer.from('\n'), Buffer.from('\r\n'));
export const validStream = fc.array(fc.oneof({ weight: 4, arbitrary: validFrame }, { weight: 1, arbitrary: heartbeat }), { minLength: 1, maxLength: 5 }).map((b) => Buffer.concat(b));

export const INVALID_UTF8: readonly number[][] = [
  [0xff],
  [0xfe],
  [0x80],
  [0xc3], // truncated 2-byte sequence
  [0xc0, 0x80], // overlong NUL
  [0xe2, 0x82], // truncated 3-byte sequence
  [0xed, 0xa0, 0x80], // UTF-16 surrogate
  [0xf0, 0x9f, 0x98], // truncated 4-byte sequence
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
];
export const invalidUtf8 = fc.constantFrom(...INVALID_UTF8);

/** Characters that are not one of STOMP's four escapes (\r \n \c \\), nor NUL or CR. */
export const badEscapeChar = fc.oneof(
  fc.constantFrom('t', 'q', '0', 'x', 'u', ' ', ':', 'N', 'R', 'C', 'é', '😀', '"', "'"),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }).filter((c) => !/^[rnc\\\0\r\n]$/.test(c)),
);

export const BAD_CONTENT_LENGTHS = ['', ' 5', '5 ', '+5', '-0', '0x10', '1e3', '5.0', 'NaN', 'Infinity', '٣', '５', '99999999999999999999999', '1_000'];
export const badContentLength = fc.oneof(
  fc.constantFrom(...BAD_CONTENT_LENGTHS),
  fc.integer({ min: -1_000_000_000, max: -1 }).map(String),
  fc.bigInt({ min: 4097n, max: 10n ** 30n }).map(String), // above the 4096-byte frame limit both suites use
);

export const garbage = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc
    .array(fc.oneof(fc.constantFrom(0x00, 0x0a, 0x0d, 0x3a, 0x5c, 0x41, 0x53, 0xff, 0xc3, 0xed), fc.integer({ min: 0, max: 255 })), { maxLength: 200 })
    .map((b) => Buffer.from(b)),
);

/** One hostile piece of a stream; pieces are concatenated so violations land anywhere. */
export const hostilePiece = fc.oneof(
  validFrame,
  heartbeat,
  garbage,
  validFrame.chain((f) => fc.nat({ max: f.length - 1 }).map((k) => f.subarray(0, k))), // truncated
  fc.tuple(headerName, plainText(10), badEscapeChar).map(([n, v, c]) => bytesOf(`SEND\n${n}:${v}\\${c}\n\n\0`)),
  badContentLength.map((cl) => bytesOf(`SEND\ndestination:/a\ncontent-length:${cl}\n\nbody\0`)),
  fc.integer({ min: 17, max: 300 }).map((n) => bytesOf('SEND\n', Array.from({ length: n }, (_, i) => `h${i}:v\n`).join(''), '\n\0')),
  fc.integer({ min: 513, max: 5000 }).map((n) => bytesOf(`SEND\nx:${'y'.repeat(n)}\n\n\0`)),
  fc.tuple(invalidUtf8, plainText(8)).map(([bad, v]) => bytesOf('SEND\ndestination:', v, bad, '\n\n\0')),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/).map((c) => bytesOf(`${c}\n\n\0`)),
);
export const hostileStream = fc.array(hostilePiece, { minLength: 1, maxLength: 5 }).map((b) => Buffer.concat(b));
export const cuts = fc.array(fc.nat(), { maxLength: 16 });

