import { badRequest, payloadTooLarge } from '../errors.js';

/** Length in Unicode code points, so an emoji counts as one character. */
export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

// A UTF-16 surrogate not paired with its other half: not Unicode text (it would be stored as U+FFFD).
const LONE_SURROGATE = /\p{Cs}/u;

/** Valid Unicode that Postgres can store: no NUL, no unpaired surrogate. Throws bad_request naming `field`. */
export function checkStorableText(field: string, text: string): void {
  if (text.includes('\u0000')) throw badRequest(`${field} must not contain NUL characters`);
  if (LONE_SURROGATE.test(text)) throw badRequest(`${field} must be valid Unicode (it has an unpaired surrogate)`);
}

/**
 * Bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069) and the
 * invisible direction marks (U+200E, U+200F, U+061C). In a name they make it render as something
 * else in other people's clients (a reversed or disguised name), and a name never needs them.
 */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/;

/** Throws bad_request naming `field` when `text` holds a bidirectional control character. */
export function checkNoBidiControls(field: string, text: string): void {
  const found = BIDI_CONTROLS.exec(text);
  if (found) {
    const code = found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw badRequest(`${field} must not contain bidirectional control characters (found U+${code})`);
  }
}

/** Validates message text: a non-blank string of at most `max` characters, valid Unicode without NUL. */
export function validateMessageText(text: unknown, max: number): string {
  if (typeof text !== 'string') throw badRequest('text must be a string');
  if (text.trim() === '') throw badRequest('text must not be empty');
  checkStorableText('text', text);
  // Cheap upper bound first: code points <= UTF-16 units.
  if (text.length > max && codePointLength(text) > max) {
    throw payloadTooLarge(`text is longer than ${max} characters`);
  }
  return text;
}
