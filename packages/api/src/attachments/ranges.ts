import type { ByteRange } from '@chorus/core';

/**
 * The one byte range of a `Range` header for an object of `size` bytes: a range, 'none'
 * (no header, several ranges or another unit: serve the whole object, as RFC 9110 allows)
 * or 'unsatisfiable' (416).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'none' | 'unsatisfiable' {
  if (header === undefined) return 'none';
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return 'none';
  const [, from, to] = match;
  if (from === '' && to === '') return 'none';
  if (size === 0) return 'unsatisfiable';
  if (from === '') {
    // Suffix: the last N bytes.
    const n = Number(to);
    if (n === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(from);
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  if (!Number.isSafeInteger(start) || start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}
