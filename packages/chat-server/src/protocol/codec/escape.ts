import { StompEncodeError, StompParseError } from './errors.js';

// STOMP 1.2 "Value Encoding": \r \n \c \\ are the only escapes.
const NEEDS_ESCAPE = /[\\\r\n:\0]/;
const ESCAPABLE = /[\\\r\n:]/g;
const ESCAPE_OF: Record<string, string> = { '\\': '\\\\', '\r': '\\r', '\n': '\\n', ':': '\\c' };

/** Escapes a header name or value for any frame but CONNECT/CONNECTED. */
export function escapeHeader(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  if (text.includes('\0')) throw new StompEncodeError('a STOMP header cannot contain a NUL character');
  return text.replace(ESCAPABLE, (ch) => ESCAPE_OF[ch] as string);
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

/** Decodes the escapes of a received header name or value; any other escape is a fatal error. */
export function unescapeHeader(text: string): string {
  let i = text.indexOf('\\');
  if (i === -1) return text;
  let out = '';
  let start = 0;
  while (i !== -1) {
    out += text.slice(start, i);
    switch (text.charCodeAt(i + 1)) {
      case 0x72: out += '\r'; break; // r
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
