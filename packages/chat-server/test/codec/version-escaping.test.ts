import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameParser, StompParseError, type StompVersion } from '../../src/protocol/codec/index.js';
import { LARGE_LIMITS } from './support.js';

/** The headers of the one frame `text` holds, read by a parser set to `version`. */
function headersOf(text: string, version: StompVersion): [string, string][] {
  const parser = new FrameParser(LARGE_LIMITS);
  parser.version = version;
  const [event] = parser.push(text);
  if (event?.type !== 'frame') throw new Error('expected a frame');
  return [...event.frame.headers];
}

function reasonOf(text: string, version: StompVersion): string | undefined {
  const parser = new FrameParser(LARGE_LIMITS);
  parser.version = version;
  try {
    parser.push(text);
    return undefined;
  } catch (err) {
    return err instanceof StompParseError ? err.reason : 'other';
  }
}

describe('header escaping follows the negotiated version', () => {
  describe('parser', () => {
    it('1.0 takes headers as they are: backslashes are ordinary characters', () => {
      expect(headersOf('SEND\nreceipt:C:\\temp\\x\n\n\0', '1.0')).toEqual([['receipt', 'C:\\temp\\x']]);
      expect(headersOf('SEND\nreceipt:a\\cb\n\n\0', '1.0')).toEqual([['receipt', 'a\\cb']]);
    });

    it('1.1 decodes \\n \\c \\\\ and refuses \\r (which 1.1 does not define)', () => {
      expect(headersOf('SEND\nreceipt:a\\cb\\\\c\\nd\n\n\0', '1.1')).toEqual([['receipt', 'a:b\\c\nd']]);
      expect(reasonOf('SEND\nreceipt:a\\rb\n\n\0', '1.1')).toBe('invalid_header_escape');
      expect(reasonOf('SEND\nreceipt:C:\\temp\n\n\0', '1.1')).toBe('invalid_header_escape');
    });

    it('1.2 decodes all four escapes', () => {
      expect(headersOf('SEND\nreceipt:a\\cb\\rc\\nd\\\\\n\n\0', '1.2')).toEqual([['receipt', 'a:b\rc\nd\\']]);
    });

    it('never unescapes CONNECT, whatever the version', () => {
      for (const version of ['1.0', '1.1', '1.2'] as const) {
        expect(headersOf('CONNECT\npasscode:a\\cb\n\n\0', version)).toEqual([['passcode', 'a\\cb']]);
      }
    });
  });

  describe('encoder', () => {
    const receipt = (version: StompVersion, id: string) => encodeFrame('RECEIPT', { 'receipt-id': id }, undefined, version).toString();

    it('1.0 sends values as they are', () => {
      expect(receipt('1.0', 'a:b')).toBe('RECEIPT\nreceipt-id:a:b\n\n\0');
      expect(receipt('1.0', 'C:\\temp\\x')).toBe('RECEIPT\nreceipt-id:C:\\temp\\x\n\n\0');
      // 1.0 has no way to carry a line break in a header.
      expect(receipt('1.0', 'a\nb')).toBe('RECEIPT\nreceipt-id:a b\n\n\0');
    });

    it('1.1 escapes all but CR', () => {
      expect(receipt('1.1', 'a:b\\c\nd\re')).toBe('RECEIPT\nreceipt-id:a\\cb\\\\c\\nd\re\n\n\0');
    });

    it('1.2 escapes all four', () => {
      expect(receipt('1.2', 'a:b\\c\nd\re')).toBe('RECEIPT\nreceipt-id:a\\cb\\\\c\\nd\\re\n\n\0');
    });

    it('round-trips through the parser of the same version', () => {
      for (const version of ['1.1', '1.2'] as const) {
        const value = version === '1.2' ? 'x:y\\z\nw\rv' : 'x:y\\z\nw';
        expect(headersOf(receipt(version, value), version)).toEqual([['receipt-id', value]]);
      }
    });
  });
});
