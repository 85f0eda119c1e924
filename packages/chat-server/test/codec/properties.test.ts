import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CLIENT_COMMANDS,
  encodeFrame,
  FrameParser,
  hasVerbatimHeaders,
  PreparedMessage,
  SERVER_COMMANDS,
  StompParseError,
  type ParserLimits,
  type StompParseErrorReason,
} from '../../src/protocol/codec/index.js';
import { LARGE_LIMITS, run, splitAt, type Plain } from './support.js';

const SEED = 42;
const RUNS = 500;
const opts = (numRuns = RUNS) => ({ seed: SEED, numRuns });

const REASONS: ReadonlySet<StompParseErrorReason> = new Set([
  'frame_too_large',
  'too_many_headers',
  'header_too_long',
  'malformed_frame',
  'invalid_header_escape',
  'invalid_content_length',
  'invalid_utf8',
  'invalid_command',
]);

const command = fc.oneof(fc.constantFrom(...CLIENT_COMMANDS, ...SERVER_COMMANDS), fc.stringMatching(/^[A-Z]{1,32}$/));

// Header text mixing the characters escaping must handle with arbitrary Unicode (no NUL: it cannot be encoded).
const special = fc.constantFrom(':', '\n', '\r', '\\', 'c', 'n', 'r', 'é', '😀', '\u{fffd}', ' ');
const headerText = fc
  .oneof(fc.string({ unit: special, maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }))
  .map((s) => s.replaceAll('\0', '0'));
const headerName = headerText.filter((s) => s.length > 0 && s !== 'content-length');

// CONNECT/CONNECTED headers travel unescaped, so they cannot hold line breaks (nor a colon in names).
const verbatimName = (s: string) => s.replace(/[\r\n:]/g, '_');
const verbatimValue = (s: string) => s.replace(/[\r\n]/g, '_');

const body = fc.oneof(
  fc.constant(''),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.uint8Array({ maxLength: 100 }).map((bytes) => Buffer.from(bytes)),
);

interface FrameSpec {
  command: string;
  headers: [string, string][];
  body: string | Buffer;
}

const frameSpec: fc.Arbitrary<FrameSpec> = fc
  .record({ command, headers: fc.array(fc.tuple(headerName, headerText), { maxLength: 6 }), body })
  .map(({ command, headers, body }) => ({
    command,
    body,
    headers: hasVerbatimHeaders(command)
      ? headers.map(([n, v]): [string, string] => [verbatimName(n), verbatimValue(v)]).filter(([n]) => n !== 'content-length')
      : headers,
  }));

const encode = (spec: FrameSpec) => encodeFrame(spec.command, spec.headers, spec.body);

/** What the parser must return for an encoded spec: first occurrences win, content-length last. */
function expected(spec: FrameSpec): Plain {
  const headers = new Map<string, string>();
  for (const [name, value] of spec.headers) if (!headers.has(name)) headers.set(name, value);
  const bytes = Buffer.from(spec.body);
  if (bytes.length > 0) headers.set('content-length', String(bytes.length));
  return { command: spec.command, headers: [...headers], body: bytes.toString('hex') };
}

// A byte stream of valid frames and heart-beats.
const streamItem = fc.oneof(
  { weight: 4, arbitrary: frameSpec.map(encode) },
  { weight: 1, arbitrary: fc.constantFrom(Buffer.from('\n'), Buffer.from('\r\n')) },
);
const stream = fc.array(streamItem, { minLength: 1, maxLength: 6 }).map((items) => Buffer.concat(items));
const cuts = fc.array(fc.nat(), { maxLength: 12 });

describe('codec properties', () => {
  it(`(a) encode → parse round-trips commands, headers and bodies (${RUNS} runs, seed ${SEED})`, () => {
    fc.assert(
      fc.property(frameSpec, (spec) => {
        expect(run([encode(spec)])).toEqual({ events: [expected(spec)], reason: undefined });
      }),
      opts(),
    );
  });

  it(`(b) a stream split at random points yields the same events (${RUNS} runs, seed ${SEED})`, () => {
    fc.assert(
      fc.property(stream, cuts, (bytes, offsets) => {
        const whole = run([bytes]);
        expect(whole.reason).toBeUndefined();
        expect(run(splitAt(bytes, offsets))).toEqual(whole);
      }),
      opts(),
    );
  });

  const SMALL_RUNS = 100;
  it(`(b) a small stream split at every byte, and at each single point, yields the same events (${SMALL_RUNS} runs, seed ${SEED})`, () => {
    const small = fc.array(streamItem, { minLength: 1, maxLength: 3 }).map((items) => Buffer.concat(items)).filter((b) => b.length <= 300);
    fc.assert(
      fc.property(small, (bytes) => {
        const whole = run([bytes]);
        expect(run([...bytes].map((b) => Buffer.from([b])))).toEqual(whole);
        for (let i = 1; i < bytes.length; i++) expect(run([bytes.subarray(0, i), bytes.subarray(i)])).toEqual(whole);
      }),
      opts(SMALL_RUNS),
    );
  });

  // Hostile input: random limits, random bytes biased to the protocol's special bytes, and mutated valid streams.
  const limits: fc.Arbitrary<ParserLimits> = fc.record({
    maxFrameBytes: fc.integer({ min: 1, max: 400 }),
    maxHeaders: fc.integer({ min: 1, max: 6 }),
    maxHeaderBytes: fc.integer({ min: 1, max: 48 }),
  });
  const interestingByte = fc.oneof(
    fc.constantFrom(0x00, 0x0a, 0x0d, 0x3a, 0x5c, 0x63, 0x41, 0x53, 0xc3, 0xa9, 0xff, 0xed, 0xa0, 0x80, 0x30),
    fc.integer({ min: 0, max: 255 }),
  );
  const garbage = fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    fc.array(interestingByte, { maxLength: 300 }).map((b) => Buffer.from(b)),
  );
  const mutation = fc.record({ at: fc.nat(), op: fc.constantFrom('set', 'insert', 'delete'), byte: interestingByte });
  const mutated = fc.tuple(stream, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([bytes, mutations]) => {
    const out = [...bytes];
    for (const { at, op, byte } of mutations) {
      const i = at % (out.length + 1);
      if (op === 'insert') out.splice(i, 0, byte);
      else if (i < out.length) {
        if (op === 'set') out[i] = byte;
        else out.splice(i, 1);
      }
    }
    return Buffer.from(out);
  });
  const hostile = fc.oneof(garbage, mutated, stream);

  it(`(c) hostile bytes only ever raise StompParseError and never exceed the limits (${RUNS} runs, seed ${SEED})`, () => {
    fc.assert(
      fc.property(hostile, cuts, limits, (bytes, offsets, lim) => {
        const parser = new FrameParser(lim);
        for (const chunk of splitAt(bytes, offsets)) {
          let events;
          try {
            events = parser.push(chunk);
          } catch (err) {
            expect(err).toBeInstanceOf(StompParseError);
            const error = err as StompParseError;
            expect(REASONS.has(error.reason)).toBe(true);
            expect(error.cause).toBeUndefined(); // not the internal-error safety net
            expect(() => parser.push(Buffer.from('\n'))).toThrow(error);
            events = error.precedingEvents;
          }
          expect(parser.bufferedBytes).toBeLessThanOrEqual(lim.maxFrameBytes);
          for (const event of events) {
            if (event.type !== 'frame') continue;
            expect(event.frame.command).toMatch(/^[A-Z]{1,32}$/);
            expect(event.frame.headers.size).toBeLessThanOrEqual(lim.maxHeaders);
            expect(event.frame.body.length).toBeLessThan(lim.maxFrameBytes);
          }
        }
      }),
      opts(),
    );
  });

  it(`(c) hostile bytes give the same events and the same error reason however they are split (${RUNS} runs, seed ${SEED})`, () => {
    fc.assert(
      fc.property(hostile, cuts, limits, (bytes, offsets, lim) => {
        const whole = run([bytes], lim);
        expect(run(splitAt(bytes, offsets), lim)).toEqual(whole);
      }),
      opts(),
    );
  });

  it(`a valid frame is accepted exactly when its encoding fits maxFrameBytes (${RUNS} runs, seed ${SEED})`, () => {
    fc.assert(
      fc.property(frameSpec, fc.integer({ min: -8, max: 8 }), (spec, delta) => {
        const bytes = encode(spec);
        const maxFrameBytes = Math.max(1, bytes.length + delta);
        const outcome = run([bytes], { ...LARGE_LIMITS, maxFrameBytes });
        if (bytes.length <= maxFrameBytes) {
          expect(outcome).toEqual({ events: [expected(spec)], reason: undefined });
        } else if (Buffer.from(spec.body).length <= maxFrameBytes) {
          expect(outcome.reason).toBe('frame_too_large');
        } else {
          expect(['frame_too_large', 'invalid_content_length']).toContain(outcome.reason);
        }
      }),
      opts(),
    );
  });

  it(`(d) PreparedMessage.forSubscription equals encodeFrame for any ids and bodies (${RUNS} runs, seed ${SEED})`, () => {
    const reserved = new Set(['destination', 'message-id', 'subscription', 'content-type', 'content-length']);
    const extra = fc.option(
      fc.array(fc.tuple(headerName.filter((n) => !reserved.has(n)), headerText), { maxLength: 3 }).map((e) => Object.fromEntries(e)),
      { nil: undefined },
    );
    const json = fc.oneof(fc.json({ maxDepth: 2 }), fc.string({ unit: 'binary', maxLength: 60 }).map((s) => s.replaceAll('\0', '')));
    fc.assert(
      fc.property(headerText, headerText, json, extra, fc.array(headerText, { minLength: 1, maxLength: 5 }), (dest, id, payload, ext, subs) => {
        const message = new PreparedMessage(dest, id, payload, ext);
        for (const sub of [...subs, ...subs]) {
          const bytes = message.forSubscription(sub);
          const reference = encodeFrame('MESSAGE', PreparedMessage.headers(dest, id, sub, ext), payload);
          expect(bytes.toString('hex')).toBe(reference.toString('hex'));
          const [event] = new FrameParser(LARGE_LIMITS).push(bytes);
          expect(event?.type === 'frame' && event.frame.headers.get('subscription')).toBe(sub);
        }
      }),
      opts(),
    );
  });
});
