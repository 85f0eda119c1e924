import { FrameImpl, Parser, type IRawFrameType } from '@stomp/stompjs';
import { describe, expect, it } from 'vitest';
import { encodeFrame, HEARTBEAT_EOL, PreparedMessage } from '../../src/protocol/codec/index.js';
import { frame, run } from './support.js';

/** Parses bytes with @stomp/stompjs's own parser, as a browser client would. */
function stompjsParse(bytes: Buffer): { frames: FrameImpl[]; pings: number } {
  const frames: FrameImpl[] = [];
  let pings = 0;
  const parser = new Parser(
    (raw: IRawFrameType) => frames.push(FrameImpl.fromRawFrame(raw, true)),
    () => pings++,
  );
  parser.parseChunk(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer);
  return { frames, pings };
}

// stompjs trims header whitespace and mis-decodes a backslash followed by r/n/c, so these values avoid both.
const VALUE = 'a:b\nc\rd é😀';

describe('interoperability with @stomp/stompjs 7', () => {
  it('parses what stompjs sends: CONNECT verbatim, SEND escaped with content-length', () => {
    const connect = FrameImpl.marshall({
      command: 'CONNECT',
      headers: { 'accept-version': '1.2,1.1,1.0', 'heart-beat': '10000,10000', passcode: 'p:w' },
      escapeHeaderValues: true,
    });
    const send = FrameImpl.marshall({
      command: 'SEND',
      headers: { destination: '/app/rooms/r1/messages', 'x-note': VALUE },
      body: '{"text":"héllo"}',
      escapeHeaderValues: true,
    });
    expect(run([connect as string, send as string]).events).toEqual([
      frame('CONNECT', [
        ['accept-version', '1.2,1.1,1.0'],
        ['heart-beat', '10000,10000'],
        ['passcode', 'p:w'],
      ]),
      frame(
        'SEND',
        [
          ['destination', '/app/rooms/r1/messages'],
          ['x-note', VALUE],
          ['content-length', String(Buffer.byteLength('{"text":"héllo"}'))],
        ],
        '{"text":"héllo"}',
      ),
    ]);
  });

  it('produces frames and heart-beats stompjs parses back to the same headers and body', () => {
    const message = new PreparedMessage('/topic/rooms.r1', 'm:1', '{"text":"héllo 😀"}', { 'x-note': VALUE });
    const binary = Buffer.from([0, 1, 2, 0xff]);
    const bytes = Buffer.concat([
      encodeFrame('CONNECTED', { version: '1.2', 'heart-beat': '10000,10000', server: 'chorus/0.1' }),
      HEARTBEAT_EOL,
      message.forSubscription('sub-0'),
      encodeFrame('ERROR', { message: VALUE }, binary),
    ]);
    const { frames, pings } = stompjsParse(bytes);
    expect(pings).toBe(1);
    expect(frames.map((f) => [f.command, f.headers])).toEqual([
      ['CONNECTED', { version: '1.2', 'heart-beat': '10000,10000', server: 'chorus/0.1' }],
      [
        'MESSAGE',
        {
          destination: '/topic/rooms.r1',
          'message-id': 'm:1',
          subscription: 'sub-0',
          'content-type': 'application/json',
          'x-note': VALUE,
          'content-length': String(Buffer.byteLength('{"text":"héllo 😀"}')),
        },
      ],
      ['ERROR', { message: VALUE, 'content-length': '4' }],
    ]);
    expect(frames[1]?.body).toBe('{"text":"héllo 😀"}');
    expect(Buffer.from(frames[2]?.binaryBody ?? [])).toEqual(binary);
  });
});
