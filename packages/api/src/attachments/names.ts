const MAX_NAME = 255;
// Control characters (C0, DEL, C1) and the bidi overrides that make "exe.txt" look like "txt.exe".
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const LONE_SURROGATE = /\p{Cs}/gu;

/**
 * A file name safe to store and show: the last path segment only (no directories, so
 * "../../etc/passwd" is "passwd"), no control or bidi-override characters, trimmed, at most
 * 255 characters; "file" when nothing is left. Names never reach a filesystem path
 * (object keys are ids), this is for display and Content-Disposition.
 */
export function sanitizeFileName(raw: unknown): string {
  if (typeof raw !== 'string') return 'file';
  const base = raw.split(/[/\\]/).pop() ?? '';
  const clean = base.replace(UNSAFE, '').replace(LONE_SURROGATE, '').trim();
  const name = clean === '.' || clean === '..' ? '' : clean;
  return name === '' ? 'file' : [...name].slice(0, MAX_NAME).join('');
}

/** `Content-Disposition` with an ASCII fallback and the exact UTF-8 name (RFC 6266 / 8187). */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
