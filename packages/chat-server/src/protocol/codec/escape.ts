import { StompEncodeError, StompParseError } from './errors.js';

/** A negotiated STOMP version; header escaping depends on it. */
export type StompVersion = '1.0' | '1.1' | '1.2';

// STOMP 1.2 "Value Encoding": \r \n \c \\ are the only escapes. 1.1 has the same but \r;
// 1.0 has none at all.
const NEEDS_ESCAPE = /[\\\r\n:\0]/;
const ESCAPABLE = /[\\\r\n:]/g;
const ESCAPABLE_11 = /[\\\n:]/g;
const ESCAPE_OF: Record<string, string> = { '\\': '\\\\', '\r': '\\r', '\n': '\\n', ':': '\\c' };
const LINE_BREAKS = /[\r\n]/g;

/**
 * Escapes a header name or value for any frame but CONNECT/CONNECTED, as the session's
 * negotiated version defines: 1.2 all four escapes, 1.1 all but \r (a CR goes as-is), 1.0 none.
 * 1.0 cannot carry a line break in a header, so one becomes a space there.
 */
export function escapeHeader(text: string, version: StompVersion = '1.2'): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  if (text.includes('\0')) throw new StompEncodeError('a STOMP header cannot contain a NUL character');
  if (version === '1.2') return text.replace(ESCAPABLE, (ch) => ESCAPE_OF[ch] as string);
  if (version === '1.1') return text.replace(ESCAPABLE_11, (ch) => ESCAPE_OF[ch] as string);
  return text.replace(LINE_BREAKS, ' ');
}

const VERBATIM_NAME_FORBIDDEN = /[\r\n:\0]/;
const VERBATIM_VALUE_FORBIDDEN = /[\r\n\0]/;

/** CONNECT/CONNECTED headers are sent as-is, so they must not contain what would break the line. */
export function checkVerbatimHeader(name: string, value: string): void {
  if (VERBATIM_NAME_FORBIDDEN.test(name)) {
    throw new StompEncodeError(`CONNECT/CONNECTED header name ${JSON.stringify(name)} cannot contain ':', CR, LF or NUL`);
  }
  if (VERBATIM_VALUE_FORBIDDEN.test(value)) {
    throw new StompEncodeError(`CONNECT/CONNECTED header ${JSON.stringify(name)} cannot contain CR, LF or NUL`);
  }
}

/**
 * Decodes the escapes of a received header name or value per the negotiated version; any other
 * escape is a fatal error. 1.0 defines no escapes, so its headers are taken as they are.
 */
export function unescapeHeader(text: string, version: StompVersion = '1.2'): string {
  if (version === '1.0') return text;
  let i = text.indexOf('\\');
  if (i === -1) return text;
  let out = '';
  let start = 0;
  while (i !== -1) {
    out += text.slice(start, i);
    switch (text.charCodeAt(i + 1)) {
      case 0x72: // r (1.2 only)
        if (version !== '1.2') throw new StompParseError('invalid_header_escape', 'invalid escape "\\\\r" in header (STOMP 1.1 defines only \\n \\c \\\\)');
        out += '\r';
        break;
      case 0x6e: out += '\n'; break; // n
      case 0x63: out += ':'; break; // c
      case 0x5c: out += '\\'; break; // backslash
      default:
        throw new StompParseError(
          'invalid_header_escape',
          `invalid escape ${JSON.stringify(text.slice(i, i + 2))} in header (only \\r \\n \\c \\\\ are defined)`,
        );
    }
    start = i + 2;
    i = text.indexOf('\\', start);
  }
  return out + text.slice(start);
}
