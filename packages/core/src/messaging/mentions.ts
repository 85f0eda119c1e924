/** `@username`s resolved per message; further ones are plain text. */
export const MAX_MENTIONS_PER_MESSAGE = 20;

// A username (3-32 of [A-Za-z0-9_.-], as sign-up allows) after '@' that does not follow a
// username character (so e-mail addresses are no mentions).
const MENTION = /(?<![A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{3,32})/g;

/**
 * The lower-cased usernames `text` mentions, first occurrence first, at most `max` of them. A
 * trailing '.' or '-' (end of a sentence) is also tried without it.
 */
export function parseMentions(text: string, max = MAX_MENTIONS_PER_MESSAGE): string[] {
  if (!text.includes('@')) return [];
  const names: string[] = [];
  const seen = new Set<string>();
  for (const match of text.matchAll(MENTION)) {
    const name = match[1]!.toLowerCase();
    if (seen.has(name)) continue;
    seen.add(name);
    names.push(name);
    if (names.length >= max) break;
  }
  const trimmed = names.map((n) => n.replace(/[.-]+$/, '')).filter((n) => n.length >= 3 && !seen.has(n));
  return [...names, ...new Set(trimmed)];
}
