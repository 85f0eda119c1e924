/** Query parameters that carry credentials (SockJS and browser clients cannot always send headers). */
const SECRET_NAMES = new Set(['access_token', 'token', 'jwt', 'auth', 'authorization', 'passcode', 'password', 'api_key', 'apikey', 'key', 'secret', 'code']);
const QUERY_PARAM = /([?&;])([^=&#;\s"']*)=([^&#;\s"']*)/g;

function paramName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}
/** URL path segments that are credentials: push device tokens (`/api/devices/<token>`). */
const SECRET_SEGMENTS = /(\/api\/devices\/)[^/?#\s"']+/g;
/** Credentials written inline, e.g. in an error message that quotes a header. */
const INLINE_CREDENTIALS = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;

/** A URL (or any text holding URLs) with credential query values and path segments replaced. */
export function redactUrl(url: string): string {
  return url
    .replace(QUERY_PARAM, (whole, separator: string, name: string) => (SECRET_NAMES.has(paramName(name)) ? `${separator}${name}=[redacted]` : whole))
    .replace(SECRET_SEGMENTS, '$1[redacted]');
}

/** Free text (a log message) with credentials in URLs and Authorization-style values replaced. */
export function redactText(text: string): string {
  return redactUrl(text).replace(INLINE_CREDENTIALS, '$1 [redacted]');
}

/**
 * Plain objects and arrays with every string (to `depth` levels) passed through redactText, as
 * copies; other values (errors, buffers) are left to their serializers.
 */
export function redactStrings(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactText(value);
  if (depth <= 0 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactStrings(item, depth - 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = redactStrings(item, depth - 1);
  return copy;
}
