/**
 * A flat copy of `text`. V8 makes substrings and regex captures views of their parent
 * string, so a header value kept for the life of a connection would keep the whole header
 * block of its frame alive; a copy keeps only itself.
 */
export function ownString(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}
