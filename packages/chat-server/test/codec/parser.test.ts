import { describe, expect, it } from 'vitest';
import { FrameParser, StompParseError, type ParserLimits } from '../../src/protocol/codec/index.js';
import { frame, LARGE_LIMITS, parseError, plain, reasonOf, run } from './support.js';

const SEND = 'SEND\ndestination:/topic/room.1\ncontent-type:application/json\n\n{"text":"hi"}\0';
const SEND_EVENT = frame('SEND', [['destination', '/topic/room.1'], ['content-type', 'application/json']], '{"text":"hi"}');

describe('FrameParser: frames', () => {
  it('parses a frame whose body runs to the first NUL', () => {
    expect(run([SEND])).toEqual({ events: [SEND_EVENT], reason: undefined });
  });

  it('parses a frame with content-length, whose body may contain NUL bytes', () => {
    const body = Buffer.from([1, 0, 2, 0, 255]);
    const bytes = Buffer.concat([Buffer.from('SEND\ndestination:/a\ncontent-length:5\n\n'), body, Buffer.from([0])]);
    const [event] = new FrameParser(LARGE_LIMITS).push(bytes);
    expect(event?.type === 'frame' && event.frame.body).toEqual(body);
    expect(event?.type === 'frame' && event.frame.headers.get('content-length')).toBe('5');
  });

  it('parses an empty body, with and without content-length:0', () => {
    expect(run(['UNSUBSCRIBE\nid:0\n\n\0', 'ACK\nid:1\ncontent-length:0\n\n\0']).events).toEqual([
      frame('UNSUBSCRIBE', [['id', '0']]),
      frame('ACK', [['id', '1'], ['content-length', '0']]),
    ]);
  });

  it('accepts CRLF as well as LF in command and header lines', () => {
    expect(run([SEND.replaceAll('\n', '\r\n')]).events).toEqual([SEND_EVENT]);
    expect(run(['SEND\r\ndestination:/topic/room.1\ncontent-type:application/json\r\n\n{"text":"hi"}\0']).events).toEqual([SEND_EVENT]);
  });

  it('splits a header line at the first colon only', () => {
    expect(run(['SEND\nx-url:http://a:80/b\n\n\0']).events).toEqual([frame('SEND', [['x-url', 'http://a:80/b']])]);
  });

  it('keeps the first of repeated headers', () => {
    expect(run(['MESSAGE\nfoo:World\nfoo:Hello\n\n\0']).events).toEqual([frame('MESSAGE', [['foo', 'World']])]);
  });

  it('keeps header whitespace as part of names and values', () => {
    expect(run(['SEND\n a : b \n\n\0']).events).toEqual([frame('SEND', [[' a ', ' b ']])]);
  });

  it('accepts any uppercase command up to 32 letters; the session decides which it supports', () => {
    const long = 'X'.repeat(32);
    expect(run([`FOO\n\n\0${long}\n\n\0`]).events).toEqual([frame('FOO', []), frame(long, [])]);
  });

  it('ends a frame that has no blank line at a NUL where the next header line would start', () => {
    expect(run(['DISCONNECT\n\0', 'SEND\ndestination:/a\n\0', 'SEND\ncontent-length:0\n\0']).events).toEqual([
      frame('DISCONNECT', []),
      frame('SEND', [['destination', '/a']]),
      frame('SEND', [['content-length', '0']]),
    ]);
  });

  it('decodes string chunks as UTF-8', () => {
    expect(run(['SEND\ndestination:/topic/café\n\n{"text":"😀"}\0']).events).toEqual([
      frame('SEND', [['destination', '/topic/café']], '{"text":"😀"}'),
    ]);
  });

  it('accepts a Uint8Array that is not a Buffer', () => {
    const parser = new FrameParser(LARGE_LIMITS);
    const events = parser.push(new Uint8Array(Buffer.from(SEND)) as unknown as Buffer);
    expect(events.map(plain)).toEqual([SEND_EVENT]);
  });

  it('gives each frame its own headers map', () => {
    const events = new FrameParser(LARGE_LIMITS).push('SEND\na:1\n\n\0SEND\nb:2\n\n\0');
    const [first, second] = events.map((e) => (e.type === 'frame' ? e.frame.headers : undefined));
    expect(first).not.toBe(second);
    expect([...(first ?? [])]).toEqual([['a', '1']]);
  });
});

describe('FrameParser: header escapes', () => {
  it('decodes \\r \\n \\c \\\\ in names and values', () => {
    expect(run(['MESSAGE\na\\cb\\\\:x\\ny\\rz\\c\\\\\\\\\n\n\0']).events).toEqual([frame('MESSAGE', [['a:b\\', 'x\ny\rz:\\\\']])]);
  });

  it.each([
    ['an undefined escape', 'SEND\nfoo:a\\tb\n\n\0'],
    ['an escape in a name', 'SEND\nf\\oo:a\n\n\0'],
    ['a lone trailing backslash', 'SEND\nfoo:a\\\n\n\0'],
    ['an escaped CR (\\\\ followed by CR) at the end of a CRLF line', 'SEND\nfoo:a\\\r\n\n\0'],
  ])('rejects %s with invalid_header_escape', (_name, input) => {
    expect(reasonOf([input])).toBe('invalid_header_escape');
  });

  it('does not decode escapes in CONNECT and CONNECTED frames', () => {
    expect(run(['CONNECT\nlogin:a\\cb\npasscode:p\\t:x\n\n\0', 'CONNECTED\nserver:x\\n\n\n\0']).events).toEqual([
      frame('CONNECT', [['login', 'a\\cb'], ['passcode', 'p\\t:x']]),
      frame('CONNECTED', [['server', 'x\\n']]),
    ]);
  });

  it('decodes escapes in STOMP frames (the 1.2 form of CONNECT)', () => {
    expect(run(['STOMP\nlogin:a\\cb\n\n\0']).events).toEqual([frame('STOMP', [['login', 'a:b']])]);
    expect(reasonOf(['STOMP\nlogin:a\\tb\n\n\0'])).toBe('invalid_header_escape');
  });
});

describe('FrameParser: heart-beats', () => {
  it('reports each EOL between frames as a heartbeat, LF or CRLF', () => {
    expect(run(['\n\r\n\n', SEND, '\n\r\n', SEND]).events).toEqual([
      'heartbeat',
      'heartbeat',
      'heartbeat',
      SEND_EVENT,
      'heartbeat',
      'heartbeat',
      SEND_EVENT,
    ]);
  });

  it('treats EOLs after a NUL in the same chunk as heartbeats', () => {
    expect(run([SEND + '\n\n']).events).toEqual([SEND_EVENT, 'heartbeat', 'heartbeat']);
  });

  it('joins a CRLF split across chunks into one heartbeat', () => {
    expect(run(['\r', '\n']).events).toEqual(['heartbeat']);
  });

  it('rejects a CR between frames that is not followed by LF', () => {
    expect(reasonOf(['\rSEND\n\n\0'])).toBe('malformed_frame');
    expect(reasonOf(['\r', '\r\n'])).toBe('malformed_frame');
  });
});

describe('FrameParser: chunking', () => {
  it('returns several frames and heartbeats from one chunk, in order', () => {
    expect(run([`${SEND}\n${SEND}CONNECT\naccept-version:1.2\n\n\0`]).events).toEqual([
      SEND_EVENT,
      'heartbeat',
      SEND_EVENT,
      frame('CONNECT', [['accept-version', '1.2']]),
    ]);
  });

  it('parses a frame split into one-byte chunks', () => {
    const bytes = Buffer.from(SEND.replaceAll('\n', '\r\n') + '\r\n');
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    expect(run(chunks).events).toEqual([SEND_EVENT, 'heartbeat']);
  });

  it('parses a content-length body split across chunks, with the NUL in a chunk of its own', () => {
    const head = 'SEND\ncontent-length:6\n\n';
    expect(run([head + 'ab', 'cd', 'ef', '\0']).events).toEqual([frame('SEND', [['content-length', '6']], 'abcdef')]);
  });

  it('emits a frame only when its NUL arrives, and counts buffered bytes until then', () => {
    const parser = new FrameParser(LARGE_LIMITS);
    expect(parser.push('SEND\ndesti')).toEqual([]);
    expect(parser.bufferedBytes).toBe('SEND\ndesti'.length);
    expect(parser.push('nation:/a\n\nbody')).toEqual([]);
    expect(parser.bufferedBytes).toBe('SEND\ndestination:/a\n\nbody'.length);
    expect(parser.push('\0\n').map(plain)).toEqual([frame('SEND', [['destination', '/a']], 'body'), 'heartbeat']);
    expect(parser.bufferedBytes).toBe(0);
  });

  it('waits for the rest of a frame that has a command but no blank line yet', () => {
    const parser = new FrameParser(LARGE_LIMITS);
    expect(parser.push('SEND\ndestination:/a\n')).toEqual([]);
    expect(parser.push('\0').map(plain)).toEqual([frame('SEND', [['destination', '/a']])]);
  });
});

describe('FrameParser: malformed frames', () => {
  it.each([
    ['a header line without a colon', 'SEND\ndestination\n\n\0'],
    ['a header with an empty name', 'SEND\n:value\n\n\0'],
    ['a CR inside a header line', 'SEND\na:b\rc\n\n\0'],
    ['a NUL inside a header line', 'SEND\na:b\0c\n\n\0'],
    ['a NUL ending a header line', 'SEND\ndestination:/a\0'],
    ['a NUL right after the command', 'SEND\0'],
    ['a non-NUL byte after the content-length body', 'SEND\ncontent-length:2\n\nabc\0'],
    ['a NUL instead of the blank line before a content-length body', 'SEND\ncontent-length:2\n\0'],
  ])('rejects %s with malformed_frame', (_name, input) => {
    expect(reasonOf([input])).toBe('malformed_frame');
  });

  it('rejects a NUL inside a header line as soon as it arrives, before the line ends', () => {
    expect(reasonOf(['SEND\ndestination:/a\0'])).toBe('malformed_frame');
    expect(reasonOf(['SEND\ndestination:/a', '\0'])).toBe('malformed_frame');
  });

  it('rejects a non-NUL byte after a content-length body that arrives in the next chunk', () => {
    expect(reasonOf(['SEND\ncontent-length:2\n\nab', 'c\0'])).toBe('malformed_frame');
  });
});

describe('FrameParser: commands', () => {
  it.each([
    ['lowercase', 'send\n\n\0'],
    ['mixed case', 'Send\n\n\0'],
    ['a digit', 'SEND2\n\n\0'],
    ['a leading space', ' SEND\n\n\0'],
    ['a space inside', 'SE ND\n\n\0'],
    ['a CR inside', 'SE\rND\n\n\0'],
    ['a NUL byte first', '\0'],
    ['33 letters', `${'A'.repeat(33)}\n\n\0`],
    ['a UTF-8 letter', 'SÉND\n\n\0'],
  ])('rejects a command with %s as invalid_command', (_name, input) => {
    expect(reasonOf([input])).toBe('invalid_command');
  });

  it('rejects a bad command byte as soon as it arrives', () => {
    const parser = new FrameParser(LARGE_LIMITS);
    expect(parser.push('SE')).toEqual([]);
    expect(parseError(parser, 'n').reason).toBe('invalid_command');
  });

  it('rejects a 33rd command letter before the line ends', () => {
    expect(reasonOf(['A'.repeat(33)])).toBe('invalid_command');
  });
});

describe('FrameParser: content-length', () => {
  it('accepts leading zeros', () => {
    expect(run(['SEND\ncontent-length:002\n\nab\0']).events).toEqual([frame('SEND', [['content-length', '002']], 'ab')]);
  });

  it.each(['-1', '1.5', ' 2', '2 ', '', 'abc', '0x10', '1e3', '+2', '99999999999999999999999'])(
    'rejects content-length %j with invalid_content_length',
    (value) => {
      expect(reasonOf([`SEND\ncontent-length:${value}\n\nab\0`])).toBe('invalid_content_length');
    },
  );

  it('rejects a content-length above maxFrameBytes as soon as the header line ends', () => {
    const limits = { ...LARGE_LIMITS, maxFrameBytes: 100 };
    expect(reasonOf(['SEND\ncontent-length:101\n'], limits)).toBe('invalid_content_length');
  });

  it('uses the first of repeated content-length headers', () => {
    expect(run(['SEND\ncontent-length:1\ncontent-length:x\n\na\0']).events).toEqual([frame('SEND', [['content-length', '1']], 'a')]);
  });
});

describe('FrameParser: UTF-8', () => {
  it('rejects invalid UTF-8 in a header value or name', () => {
    const value = Buffer.concat([Buffer.from('SEND\ndestination:/a'), Buffer.from([0xc3, 0x28]), Buffer.from('\n\n\0')]);
    const name = Buffer.concat([Buffer.from('SEND\n'), Buffer.from([0xff]), Buffer.from(':x\n\n\0')]);
    const surrogate = Buffer.concat([Buffer.from('SEND\na:'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('\n\n\0')]);
    const overlong = Buffer.concat([Buffer.from('SEND\na:'), Buffer.from([0xc0, 0xaf]), Buffer.from('\n\n\0')]);
    for (const bytes of [value, name, surrogate, overlong]) expect(reasonOf([bytes])).toBe('invalid_utf8');
  });

  it('accepts a real U+FFFD and multi-byte characters split across chunks', () => {
    const bytes = Buffer.from('SEND\n\u{fffd}:€😀\n\n\0');
    const cut = bytes.indexOf(Buffer.from('😀')) + 2;
    expect(run([bytes.subarray(0, cut), bytes.subarray(cut)]).events).toEqual([frame('SEND', [['\u{fffd}', '€😀']])]);
  });

  it('passes binary bodies through untouched', () => {
    const body = Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x0a, 0x0d]);
    const bytes = Buffer.concat([Buffer.from('SEND\n\n'), body, Buffer.from([0])]);
    expect(run([bytes]).events).toEqual([{ command: 'SEND', headers: [], body: body.toString('hex') }]);
  });
});

describe('FrameParser: limits', () => {
  const limits: ParserLimits = { maxFrameBytes: 64, maxHeaders: 3, maxHeaderBytes: 16 };

  it('accepts a frame of exactly maxFrameBytes (NUL included) and rejects one byte more', () => {
    const head = 'SEND\n\n';
    const exact = head + 'x'.repeat(64 - head.length - 1) + '\0';
    expect(Buffer.byteLength(exact)).toBe(64);
    expect(run([exact], limits).events).toHaveLength(1);
    expect(reasonOf([head + 'x'.repeat(64 - head.length) + '\0'], limits)).toBe('frame_too_large');
  });

  it('stops a body that never ends at maxFrameBytes, without buffering more', () => {
    const parser = new FrameParser(limits);
    parser.push('SEND\n\n');
    let error: StompParseError | undefined;
    for (let i = 0; i < 100 && !error; i++) {
      try {
        parser.push('xx');
        expect(parser.bufferedBytes).toBeLessThanOrEqual(64);
      } catch (err) {
        error = err as StompParseError;
      }
    }
    expect(error?.reason).toBe('frame_too_large');
  });

  it('rejects a content-length frame that cannot fit before any body byte arrives', () => {
    // 'SEND\ncontent-length:40\n\n' is 24 bytes; 24 + 40 + NUL > 64.
    const wide = { ...limits, maxHeaderBytes: 32 };
    expect(reasonOf(['SEND\ncontent-length:40\n\n'], wide)).toBe('frame_too_large');
    expect(run(['SEND\ncontent-length:39\n\n' + 'y'.repeat(39) + '\0'], wide).events).toHaveLength(1);
  });

  it('stops header lines that never end at maxFrameBytes', () => {
    const wide = { ...limits, maxHeaders: 100 };
    expect(reasonOf(['SEND\n' + 'a:b\n'.repeat(20)], wide)).toBe('frame_too_large');
  });

  it('accepts a header line of exactly maxHeaderBytes, with LF or CRLF', () => {
    const line = 'k:' + 'v'.repeat(14);
    expect(run([`SEND\n${line}\n\n\0`, `SEND\r\n${line}\r\n\r\n\0`], limits).events).toHaveLength(2);
  });

  it('accepts a header line of exactly maxHeaderBytes when its CR and LF arrive in separate chunks', () => {
    const line = 'k:' + 'v'.repeat(14);
    expect(run([`SEND\n${line}\r`, `\n\n\0`], limits).events).toHaveLength(1);
    expect(run([`SEND\n${line}`, '\r', `\n\n\0`], limits).events).toHaveLength(1);
  });

  it('rejects a header line longer than maxHeaderBytes while it is still arriving', () => {
    const parser = new FrameParser(limits);
    parser.push('SEND\nk:' + 'v'.repeat(14));
    expect(parseError(parser, 'v').reason).toBe('header_too_long');
    expect(reasonOf([`SEND\nk:${'v'.repeat(14)}\r\r\n\n\0`], limits)).toBe('header_too_long');
  });

  it('applies maxHeaderBytes to the command line', () => {
    expect(reasonOf(['SUBSCRIBE\n\n\0'], { ...limits, maxHeaderBytes: 8 })).toBe('header_too_long');
    expect(run(['SUBSCRIBE\n\n\0'], { ...limits, maxHeaderBytes: 9 }).events).toHaveLength(1);
  });

  it('counts header lines against maxHeaders, repeats included', () => {
    expect(run(['SEND\na:1\na:2\na:3\n\n\0'], limits).events).toEqual([frame('SEND', [['a', '1']])]);
    expect(reasonOf(['SEND\na:1\na:2\na:3\na:4\n\n\0'], limits)).toBe('too_many_headers');
  });

  it('reports the rule broken at the earliest byte, as if bytes arrived one at a time', () => {
    // The NUL (byte 4 of the line) comes before the 17th byte that breaks maxHeaderBytes.
    const nulFirst = `SEND\nk:v\0${'v'.repeat(20)}\n\n\0`;
    // The 17th byte comes before the NUL.
    const longFirst = `SEND\nk:${'v'.repeat(20)}\0\n\n\0`;
    for (const input of [nulFirst, longFirst]) {
      const whole = reasonOf([input], limits);
      const bytewise = reasonOf([...Buffer.from(input)].map((b) => Buffer.from([b])), limits);
      expect(bytewise).toBe(whole);
    }
    expect(reasonOf([nulFirst], limits)).toBe('malformed_frame');
    expect(reasonOf([longFirst], limits)).toBe('header_too_long');
  });

  it('keeps bufferedBytes at 0 between frames and while heart-beats arrive', () => {
    const parser = new FrameParser(limits);
    parser.push('\n\n');
    expect(parser.bufferedBytes).toBe(0);
    parser.push('SEND\n\n\0\r');
    expect(parser.bufferedBytes).toBe(0);
  });

  it('rejects limits that are not positive integers', () => {
    expect(() => new FrameParser({ ...limits, maxHeaders: 0 })).toThrow(RangeError);
    expect(() => new FrameParser({ ...limits, maxFrameBytes: 1.5 })).toThrow(RangeError);
  });
});

describe('FrameParser: after an error', () => {
  it('throws the same error on every later push', () => {
    const parser = new FrameParser(LARGE_LIMITS);
    const error = parseError(parser, 'bad\n\n\0');
    expect(error).toBeInstanceOf(StompParseError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('StompParseError');
    expect(error.reason).toBe('invalid_command');
    expect(parseError(parser, SEND)).toBe(error);
    expect(parseError(parser, '')).toBe(error);
    expect(parser.bufferedBytes).toBe(0);
  });

  it('hands over the events completed before the violation in the same push', () => {
    const error = parseError(new FrameParser(LARGE_LIMITS), `${SEND}\nSEND\nfoo:\\x\n\n\0`);
    expect(error.reason).toBe('invalid_header_escape');
    expect(error.precedingEvents.map(plain)).toEqual([SEND_EVENT, 'heartbeat']);
  });

  it('rejects input that is neither bytes nor a string with a StompParseError', () => {
    const parser = new FrameParser(LARGE_LIMITS);
    expect(parseError(parser, 42 as unknown as string).reason).toBe('malformed_frame');
  });
});
