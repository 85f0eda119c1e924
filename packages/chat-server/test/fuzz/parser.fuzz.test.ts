import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FrameParser, StompParseError, type ParserLimits, type StompParseErrorReason } from '../../src/protocol/codec/index.js';
import { run, splitAt, type Plain } from '../codec/support.js';
import { CaseCounter, FUZZ_SEED, runs } from './fuzz-config.js';
import {
  badContentLength,
  badEscapeChar,
  bytesOf,
  commandName,
  cuts,
  headerName,
  hostileStream,
  invalidUtf8,
  limits,
  plainText,
  validStream,
} from './generators.js';

/**
 * Property-based fuzzing of the STOMP frame parser with hostile input: garbage, truncated frames,
 * invalid escapes, bad content-lengths, thousands of headers, endless lines and bodies, invalid
 * UTF-8 and unknown commands, each split at random points and at every byte. Seeded (FUZZ_SEED).
 */
const counter = new CaseCounter();
const opts = (base: number) => ({ seed: FUZZ_SEED, numRuns: runs(base) });

/** Limits close to the defaults, small enough that hostile input reaches them. */
const LIMITS: ParserLimits = { maxFrameBytes: 4096, maxHeaders: 16, maxHeaderBytes: 512 };

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

// ---- Helpers ----------------------------------------------------------------------------------

/** Feeds chunks and checks the invariants that must hold whatever the input. */
function feedChecked(chunks: Buffer[], lim: ParserLimits): { events: number; reason: StompParseErrorReason | undefined } {
  const parser = new FrameParser(lim);
  let events = 0;
  for (const chunk of chunks) {
    let got;
    try {
      got = parser.push(chunk);
    } catch (err) {
      expect(err).toBeInstanceOf(StompParseError);
      const error = err as StompParseError;
      expect(REASONS.has(error.reason)).toBe(true);
      expect(error.cause, 'the internal-error safety net must never fire').toBeUndefined();
      expect(parser.bufferedBytes).toBe(0); // nothing retained after a violation
      expect(() => parser.push(Buffer.from('CONNECT\n\n\0'))).toThrow(error); // and it stays failed
      checkFrames(error.precedingEvents, lim);
      return { events: events + error.precedingEvents.length, reason: error.reason };
    }
    expect(parser.bufferedBytes).toBeLessThanOrEqual(lim.maxFrameBytes);
    checkFrames(got, lim);
    events += got.length;
  }
  return { events, reason: undefined };
}

function checkFrames(events: readonly { type: string; frame?: { command: string; headers: Map<string, string>; body: Buffer } }[], lim: ParserLimits): void {
  for (const event of events) {
    if (!event.frame) continue;
    expect(event.frame.command).toMatch(/^[A-Z]{1,32}$/);
    expect(event.frame.headers.size).toBeLessThanOrEqual(lim.maxHeaders);
    expect(event.frame.body.length).toBeLessThan(lim.maxFrameBytes);
  }
}

const everyByte = (bytes: Buffer) => [...bytes].map((b) => Buffer.from([b]));

function reasonAlone(bytes: Buffer, lim: ParserLimits = LIMITS): StompParseErrorReason | undefined {
  return run([bytes], lim).reason;
}

/** Pushes an endless stream chunk by chunk; returns the bytes fed when the parser gave up. */
function feedEndless(head: Buffer, filler: Buffer, chunkSizes: number[], lim: ParserLimits, cap: number): { fed: number; reason: StompParseErrorReason | undefined; maxBuffered: number } {
  const parser = new FrameParser(lim);
  let fed = 0;
  let maxBuffered = 0;
  const stream = function* (): Generator<Buffer> {
    yield head;
    for (let i = 0; ; i++) {
      const size = chunkSizes[i % chunkSizes.length]!;
      yield Buffer.concat(Array.from({ length: Math.ceil(size / filler.length) }, () => filler)).subarray(0, size);
    }
  };
  for (const chunk of stream()) {
    if (fed > cap) return { fed, reason: undefined, maxBuffered };
    try {
      parser.push(chunk);
    } catch (err) {
      expect(err).toBeInstanceOf(StompParseError);
      return { fed: fed + chunk.length, reason: (err as StompParseError).reason, maxBuffered };
    }
    fed += chunk.length;
    maxBuffered = Math.max(maxBuffered, parser.bufferedBytes);
  }
  return { fed, reason: undefined, maxBuffered };
}

// ---- Properties -------------------------------------------------------------------------------

describe(`STOMP parser fuzzing (FUZZ_SEED=${FUZZ_SEED})`, () => {
  afterAll(() => {
    console.log(counter.report('parser'));
  });

  it('hostile streams only ever raise StompParseError, stay within every limit and never retain a failed frame', () => {
    fc.assert(
      fc.property(hostileStream, cuts, limits, (bytes, offsets, lim) => {
        counter.add('hostile streams, random chunks and limits');
        feedChecked(splitAt(bytes, offsets), lim);
      }),
      opts(1500),
    );
  });

  it('hostile streams give the same events and error however they are split, down to single bytes', () => {
    fc.assert(
      fc.property(hostileStream, cuts, (bytes, offsets) => {
        counter.add('hostile streams, whole vs split vs every byte');
        const whole = run([bytes], LIMITS);
        expect(run(splitAt(bytes, offsets), LIMITS)).toEqual(whole);
        if (bytes.length <= 600) expect(run(everyByte(bytes), LIMITS)).toEqual(whole);
      }),
      opts(600),
    );
  });

  it('a truncated stream of valid frames is never an error and yields a prefix of the whole stream events', () => {
    fc.assert(
      fc.property(validStream, fc.nat(), cuts, (bytes, cut, offsets) => {
        counter.add('truncated valid streams');
        const whole = run([bytes], { maxFrameBytes: 1 << 20, maxHeaders: 100, maxHeaderBytes: 1 << 16 });
        const k = cut % (bytes.length + 1);
        const parser = new FrameParser({ maxFrameBytes: 1 << 20, maxHeaders: 100, maxHeaderBytes: 1 << 16 });
        const events: Plain[] = [];
        for (const chunk of splitAt(bytes.subarray(0, k), offsets)) {
          for (const e of parser.push(chunk)) events.push(e.type === 'heartbeat' ? 'heartbeat' : { command: e.frame.command, headers: [...e.frame.headers], body: e.frame.body.toString('hex') });
        }
        expect(whole.reason).toBeUndefined();
        expect(events).toEqual(whole.events.slice(0, events.length));
        expect(parser.bufferedBytes).toBeLessThanOrEqual(k);
      }),
      opts(600),
    );
  });

  it('an undefined escape in a header is invalid_header_escape, except in CONNECT, whose headers are verbatim', () => {
    fc.assert(
      fc.property(headerName, plainText(10), plainText(10), badEscapeChar, fc.boolean(), (name, before, after, bad, inName) => {
        counter.add('invalid header escapes');
        const escaped = `\\${bad}`;
        const line = inName ? `${name}${escaped}:${before}` : `${name}:${before}${escaped}${after}`;
        expect(reasonAlone(bytesOf(`SEND\n${line}\n\n\0`))).toBe('invalid_header_escape');
        expect(reasonAlone(bytesOf(`SEND\n${name}:${before}\\\n\n\0`))).toBe('invalid_header_escape'); // a trailing backslash
        const connect = run([bytesOf(`CONNECT\n${line}\n\n\0`)], LIMITS);
        expect(connect.reason).toBeUndefined();
        const [frame] = connect.events as Exclude<Plain, 'heartbeat'>[];
        const colon = line.indexOf(':');
        expect(frame?.headers[0]).toEqual([line.slice(0, colon), line.slice(colon + 1)]);
      }),
      opts(400),
    );
  });

  it('a negative, huge or non-decimal content-length is invalid_content_length', () => {
    fc.assert(
      fc.property(badContentLength, fc.constantFrom('SEND', 'MESSAGE', 'CONNECT'), (value, command) => {
        counter.add('bad content-length');
        expect(reasonAlone(bytesOf(`${command}\ndestination:/a\ncontent-length:${value}\n\nbody\0`))).toBe('invalid_content_length');
      }),
      opts(300),
    );
  });

  it('a body longer than its content-length is malformed; a shorter one waits without exceeding the frame limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 1, max: 500 }), (length, extra) => {
        counter.add('content-length vs body');
        expect(reasonAlone(bytesOf(`SEND\ncontent-length:${length}\n\n${'x'.repeat(length + extra)}\0`))).toBe('malformed_frame');
        const parser = new FrameParser(LIMITS);
        expect(parser.push(bytesOf(`SEND\ncontent-length:${length + extra}\n\n${'x'.repeat(length)}`))).toEqual([]);
        expect(parser.bufferedBytes).toBeLessThanOrEqual(LIMITS.maxFrameBytes);
      }),
      opts(300),
    );
  });

  it('thousands of headers fail at the first header over the limit, however they arrive', () => {
    fc.assert(
      fc.property(fc.integer({ min: 17, max: 5000 }), fc.array(fc.integer({ min: 1, max: 4096 }), { minLength: 1, maxLength: 8 }), (count, sizes) => {
        counter.add('thousands of headers');
        const lim = { ...LIMITS, maxFrameBytes: 1 << 20 };
        const lines = Array.from({ length: count }, (_, i) => `h${i}:v`);
        const bytes = bytesOf(`SEND\n${lines.join('\n')}\n\n\0`);
        const chunks: Buffer[] = [];
        for (let at = 0, i = 0; at < bytes.length; i++) {
          const size = sizes[i % sizes.length]!;
          chunks.push(bytes.subarray(at, at + size));
          at += size;
        }
        expect(feedChecked(chunks, lim).reason).toBe('too_many_headers');
        // Only the first maxHeaders+1 lines were needed to decide.
        const decisive = bytesOf(`SEND\n${lines.slice(0, LIMITS.maxHeaders + 1).join('\n')}\n`);
        expect(reasonAlone(decisive, lim)).toBe('too_many_headers');
      }),
      opts(150),
    );
  });

  it('a frame that never ends is cut off by a limit within maxFrameBytes, never buffering more', () => {
    const endless = fc.constantFrom(
      { kind: 'command line', head: '', filler: 'SEND', decisive: 'invalid_command' },
      { kind: 'header line', head: 'SEND\n', filler: 'xyz', decisive: 'header_too_long' },
      { kind: 'header lines', head: 'SEND\n', filler: 'h:v\n', decisive: 'too_many_headers' },
      { kind: 'body without NUL', head: 'SEND\ndestination:/a\n\n', filler: 'body', decisive: 'frame_too_large' },
      { kind: 'binary body without NUL', head: 'SEND\n\n', filler: '\u00ff\u00fe\n\r', decisive: 'frame_too_large' },
      { kind: 'heart-beats then a header line', head: '\n\r\n\nSEND\nx:', filler: 'y', decisive: 'header_too_long' },
    );
    // With small limits the head itself may already break a limit; with roomy ones only the filler can.
    const limitReasons: (StompParseErrorReason | undefined)[] = ['invalid_command', 'header_too_long', 'too_many_headers', 'frame_too_large'];
    fc.assert(
      fc.property(endless, limits, fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 6 }), (spec, lim, sizes) => {
        counter.add(`endless ${spec.kind}`);
        const largest = Math.max(...sizes);
        const cap = lim.maxFrameBytes + lim.maxHeaderBytes + 2 * largest + 16;
        const { fed, reason, maxBuffered } = feedEndless(Buffer.from(spec.head), Buffer.from(spec.filler), sizes, lim, cap * 4);
        expect(limitReasons).toContain(reason);
        expect(fed).toBeLessThanOrEqual(cap);
        expect(maxBuffered).toBeLessThanOrEqual(lim.maxFrameBytes);
        // Roomy line and header limits: the frame limit or the filler's own rule decides.
        const roomy = { maxFrameBytes: lim.maxFrameBytes + 64, maxHeaders: 1000, maxHeaderBytes: 1 << 16 };
        const second = feedEndless(Buffer.from(spec.head), Buffer.from(spec.filler), sizes, roomy, 1 << 22);
        expect([spec.decisive, 'frame_too_large']).toContain(second.reason);
        expect(second.maxBuffered).toBeLessThanOrEqual(roomy.maxFrameBytes);
      }),
      opts(600),
    );
  });

  it('invalid UTF-8 in a header is invalid_utf8; in a body it is delivered byte for byte', () => {
    fc.assert(
      fc.property(invalidUtf8, plainText(10), plainText(10), fc.constantFrom('SEND', 'CONNECT', 'SUBSCRIBE'), (bad, before, after, command) => {
        counter.add('invalid UTF-8');
        expect(reasonAlone(bytesOf(`${command}\ndestination:`, before, bad, after, '\n\n\0'))).toBe('invalid_utf8');
        expect(reasonAlone(bytesOf(`${command}\n`, before.replace(/^$/, 'n'), bad, ':v\n\n\0'))).toBe('invalid_utf8');
        const body = bytesOf(before, bad, after);
        const parsed = run([bytesOf(`${command}\ndestination:/a\n\n`, body, [0])], LIMITS);
        expect(parsed).toEqual({ events: [{ command, headers: [['destination', '/a']], body: body.toString('hex') }], reason: undefined });
      }),
      opts(300),
    );
  });

  it('any uppercase command up to 32 letters parses (the session rejects unknown ones); anything else is invalid_command', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Z]{1,32}$/), fc.stringMatching(/^[A-Z]{0,10}[a-z0-9_ .-][A-Za-z0-9]{0,10}$/), fc.integer({ min: 33, max: 200 }), (upper, mixed, long) => {
        counter.add('unknown and invalid commands');
        expect(run([bytesOf(`${upper}\n\n\0`)], LIMITS)).toEqual({ events: [{ command: upper, headers: [], body: '' }], reason: undefined });
        expect(reasonAlone(bytesOf(`${mixed}\n\n\0`))).toBe('invalid_command');
        expect(reasonAlone(bytesOf(`${'A'.repeat(long)}\n\n\0`))).toBe('invalid_command');
      }),
      opts(300),
    );
  });

  it('frames are unaffected by the chunking of the stream around them (split at every byte)', () => {
    fc.assert(
      fc.property(validStream, commandName, (bytes, command) => {
        counter.add('valid streams split at every byte');
        const lim = { maxFrameBytes: 1 << 20, maxHeaders: 100, maxHeaderBytes: 1 << 16 };
        const tail = bytesOf(`${command}\nreceipt:r\n\n\0`);
        const whole = run([bytes, tail], lim);
        expect(whole.reason).toBeUndefined();
        expect(run(everyByte(Buffer.concat([bytes, tail])), lim)).toEqual(whole);
      }),
      opts(200),
    );
  });
});
