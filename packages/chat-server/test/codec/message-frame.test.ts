import { describe, expect, it } from 'vitest';
import { encodeFrame, PreparedMessage, StompEncodeError } from '../../src/protocol/codec/index.js';
import { frame, run } from './support.js';

const BODY = JSON.stringify({ id: 'm1', text: 'héllo 😀', room: 'r1' });

describe('PreparedMessage', () => {
  it('builds the MESSAGE frame a client parses, with its own subscription id', () => {
    const message = new PreparedMessage('/topic/room.r1', 'm1', BODY);
    const bytes = message.forSubscription('sub-0');
    expect(run([bytes]).events).toEqual([
      frame(
        'MESSAGE',
        [
          ['destination', '/topic/room.r1'],
          ['message-id', 'm1'],
          ['subscription', 'sub-0'],
          ['content-type', 'application/json'],
          ['content-length', String(Buffer.byteLength(BODY))],
        ],
        BODY,
      ),
    ]);
  });

  it('is byte-identical to encodeFrame with the same headers, extra headers and escapes included', () => {
    const extra = { 'x-room': 'r:1', 'x-seq': '42' };
    const message = new PreparedMessage('/topic/a:b', 'id\\1', BODY, extra);
    for (const id of ['sub-0', 'a:b\nc', '', '😀']) {
      const expected = encodeFrame('MESSAGE', PreparedMessage.headers('/topic/a:b', 'id\\1', id, extra), BODY);
      expect(message.forSubscription(id)).toEqual(expected);
    }
  });

  it('returns the cached frame for a repeated id and a different frame for another id', () => {
    const message = new PreparedMessage('/topic/a', 'm1', BODY);
    const first = message.forSubscription('sub-0');
    expect(message.forSubscription('sub-0')).toBe(first);
    expect(message.forSubscription('sub-1')).not.toEqual(first);
  });

  it('stays correct for ids beyond the cache size', () => {
    const message = new PreparedMessage('/topic/a', 'm1', BODY);
    for (let i = 0; i < 100; i++) {
      expect(message.forSubscription(`sub-${i}`)).toEqual(
        encodeFrame('MESSAGE', PreparedMessage.headers('/topic/a', 'm1', `sub-${i}`), BODY),
      );
    }
  });

  it('rejects extra headers that would repeat its own', () => {
    expect(() => new PreparedMessage('/topic/a', 'm1', BODY, { destination: '/x' })).toThrow(StompEncodeError);
    expect(() => new PreparedMessage('/topic/a', 'm1', BODY, { 'content-length': '1' })).toThrow(StompEncodeError);
  });

  it('rejects a subscription id or destination with a NUL', () => {
    expect(() => new PreparedMessage('/topic/\0', 'm1', BODY)).toThrow(StompEncodeError);
    expect(() => new PreparedMessage('/topic/a', 'm1', BODY).forSubscription('s\0')).toThrow(StompEncodeError);
  });
});
