import { badRequest } from '../errors.js';

/** Different emoji one message may carry (a new one beyond it is refused with conflict). */
export const MAX_REACTIONS_PER_MESSAGE = 20;
/** Reactions one user may put on one message. */
export const MAX_REACTIONS_PER_USER = 10;
/** UTF-8 bytes of one reaction: room for ZWJ sequences (families, flags of regions), no more. */
export const MAX_EMOJI_BYTES = 32;

// What a reaction may be made of: pictographs, regional indicators (flags), skin tones and the
// other emoji components (ZWJ U+200D, VS16 U+FE0F, keycap U+20E3, tag characters).
const EMOJI_CODE_POINTS = /^(?:\p{Extended_Pictographic}|\p{Emoji_Component}|\u200d|\ufe0f|\u20e3)+$/u;
const PICTOGRAPH = /\p{Extended_Pictographic}|\p{Regional_Indicator}{2}|\u20e3/u;
const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * A reaction is ONE emoji grapheme: at most MAX_EMOJI_BYTES UTF-8 bytes, made only of emoji code
 * points, containing a pictograph (or a flag, or a keycap), and a single grapheme cluster — so
 * "👍", "👍🏽", "🇫🇷", "1️⃣" and "👩‍👩‍👧" pass, while text, "a", "1", "👍👍" and spaces are refused.
 */
export function validateEmoji(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw badRequest('emoji must be one emoji');
  if (Buffer.byteLength(value, 'utf8') > MAX_EMOJI_BYTES) throw badRequest(`emoji must be one emoji of at most ${MAX_EMOJI_BYTES} bytes`);
  if (!EMOJI_CODE_POINTS.test(value) || !PICTOGRAPH.test(value)) throw badRequest('emoji must be one emoji');
  let graphemes = 0;
  for (const _ of segmenter.segment(value)) if (++graphemes > 1) throw badRequest('emoji must be one emoji');
  return value;
}
