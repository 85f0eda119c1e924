import { describe, expect, it } from 'vitest';
import { encodeFrame, HEARTBEAT_EOL, StompEncodeError } from '../../src/protocol/codec/index.js';
import { frame, run } from './support.js';

describe('encodeFrame', () => {
  it('writes command, headers, content-length, blank line, body and NUL', () => {
    expect(encodeFrame('MESSAGE', { destination: '/topic/a', 'message-id': '7' }, '{"a":1}').toString()).toBe(
      'MESSAGE\ndestination:/topic/a\nmessage-id:7\ncontent-length:7\n\n{"a":1}\0',
    );
  });

  it('omits content-length for an empty or missing body', () => {
    expect(encodeFrame('RECEIPT', { 'receipt-id': 'r1' }).toString()).toBe('RECEIPT\nreceipt-id:r1\n\n\0');
    expect(encodeFrame('RECEIPT', [], Buffer.alloc(0)).toString()).toBe('RECEIPT\n\n\0');
  });

  it('counts content-length in bytes, not characters', () => {
    expect(encodeFrame('SEND', {}, 'é😀').toString()).toBe('SEND\ncontent-length:6\n\né😀\0');
  });

  it('copies a binary body verbatim, NUL bytes included', () => {
    const body = Buffer.from([0, 1, 0xff, 0]);
    const bytes = encodeFrame('SEND', {}, body);
    expect(bytes.subarray(bytes.length - 5)).toEqual(Buffer.from([0, 1, 0xff, 0, 0]));
    expect(run([bytes]).events).toEqual([{ command: 'SEND', headers: [['content-length', '4']], body: body.toString('hex') }]);
  });

  it('escapes CR, LF, colon and backslash in names and values', () => {
    expect(encodeFrame('MESSAGE', { 'a:b\\': 'x\ny\rz:\\' }).toString()).toBe('MESSAGE\na\\cb\\\\:x\\ny\\rz\\c\\\\\n\n\0');
  });

  it('writes CONNECT and CONNECTED headers verbatim, colons in values included', () => {
    expect(encodeFrame('CONNECT', { login: 'a\\b', passcode: 'p:q' }).toString()).toBe('CONNECT\nlogin:a\\b\npasscode:p:q\n\n\0');
    expect(run([encodeFrame('CONNECTED', { server: 'x:\\y' })]).events).toEqual([frame('CONNECTED', [['server', 'x:\\y']])]);
  });

  it('keeps order and repeats of iterable headers', () => {
    const headers = [
      ['b', '1'],
      ['a', '2'],
      ['b', '3'],
    ] as const;
    expect(encodeFrame('SEND', headers).toString()).toBe('SEND\nb:1\na:2\nb:3\n\n\0');
    expect(encodeFrame('SEND', new Map([['k', 'v']])).toString()).toBe('SEND\nk:v\n\n\0');
  });

  it('replaces a caller-supplied content-length with the real one', () => {
    expect(encodeFrame('SEND', { 'content-length': '99' }, 'ab').toString()).toBe('SEND\ncontent-length:2\n\nab\0');
    expect(encodeFrame('SEND', { 'content-length': '3' }).toString()).toBe('SEND\n\n\0');
  });

  it.each([
    ['a lowercase command', () => encodeFrame('send', {})],
    ['an empty command', () => encodeFrame('', {})],
    ['a 33-letter command', () => encodeFrame('A'.repeat(33), {})],
    ['an empty header name', () => encodeFrame('SEND', { '': 'x' })],
    ['a NUL in a value', () => encodeFrame('SEND', { a: 'x\0' })],
    ['a NUL in a name', () => encodeFrame('SEND', { 'a\0': 'x' })],
    ['a LF in a CONNECT value', () => encodeFrame('CONNECT', { a: 'x\ny' })],
    ['a CR in a CONNECTED value', () => encodeFrame('CONNECTED', { a: 'x\r' })],
    ['a colon in a CONNECT name', () => encodeFrame('CONNECT', { 'a:b': 'x' })],
    ['a non-string value', () => encodeFrame('SEND', { a: 5 as unknown as string })],
  ])('throws StompEncodeError for %s', (_name, encode) => {
    expect(encode).toThrow(StompEncodeError);
  });

  it('exports the heart-beat EOL', () => {
    expect(HEARTBEAT_EOL.toString()).toBe('\n');
    expect(run([HEARTBEAT_EOL]).events).toEqual(['heartbeat']);
  });
});
