/**
 * Typed errors that carry their HTTP status and a stable machine-readable code.
 * REST renders them as {"error":{"code","message"}}; STOMP renders them as
 * ERROR frames (or /user/queue/errors messages) with the same code and message.
 */
export type ErrorCode =
  | 'bad_request'
  | 'validation_failed'
  | 'unauthorized'
  | 'token_expired'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  token_expired: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

export class ChorusError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Seconds after which a rate-limited or unavailable request may be retried. */
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, message: string, options: { retryAfter?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ChorusError';
    this.code = code;
    this.status = STATUS[code];
    this.retryAfter = options.retryAfter;
  }
}

export const badRequest = (message: string) => new ChorusError('bad_request', message);
export const unauthorized = (message = 'authentication required') => new ChorusError('unauthorized', message);
export const forbidden = (message: string) => new ChorusError('forbidden', message);
export const notFound = (message: string) => new ChorusError('not_found', message);
export const conflict = (message: string) => new ChorusError('conflict', message);
export const payloadTooLarge = (message: string) => new ChorusError('payload_too_large', message);
export const unsupportedMediaType = (message: string) => new ChorusError('unsupported_media_type', message);
export const rateLimited = (message: string, retryAfter?: number) =>
  new ChorusError('rate_limited', message, retryAfter === undefined ? {} : { retryAfter });
export const unavailable = (message: string, cause?: unknown) => new ChorusError('unavailable', message, { cause });

export function isChorusError(err: unknown): err is ChorusError {
  return err instanceof ChorusError;
}
