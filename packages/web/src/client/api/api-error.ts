/** A failed REST call or a refused STOMP send, carrying the server's stable error code. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Seconds after which a rate-limited request may be retried, when the server says. */
  readonly retryAfter: number | undefined;

  constructor(status: number, code: string, message: string, retryAfter?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/** Builds an ApiError from a `{"error":{"code","message"}}` body (or whatever the server sent). */
export function errorFromBody(status: number, body: unknown, retryAfterHeader: string | null): ApiError {
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  const fields = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {};
  const code = typeof fields.code === 'string' ? fields.code : fallbackCode(status);
  const message = typeof fields.message === 'string' ? fields.message : `request failed (HTTP ${status})`;
  const retryAfter = retryAfterHeader === null ? undefined : Number.parseInt(retryAfterHeader, 10);
  return new ApiError(status, code, message, Number.isFinite(retryAfter) ? retryAfter : undefined);
}

function fallbackCode(status: number): string {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 413) return 'payload_too_large';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'unavailable';
  return 'bad_request';
}

/** A sentence for people, for any error the client can meet. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    switch (err.code) {
      case 'payload_too_large':
        return `Message too long: ${err.message}`;
      case 'rate_limited':
        return err.retryAfter === undefined
          ? `Rate limited: you are sending too fast. ${err.message}`
          : `Rate limited: try again in ${err.retryAfter}s. ${err.message}`;
      case 'network':
        return 'Cannot reach the server. Check your connection and try again.';
      default:
        return err.message.charAt(0).toUpperCase() + err.message.slice(1);
    }
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
