import { ChorusError } from '../errors.js';

/** SQLSTATE of a database error (pg and PGlite both expose it as `code`), if any. */
export function sqlState(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** The constraint a database error names (unique/foreign-key/check violations). */
export function sqlConstraint(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const constraint = (err as { constraint?: unknown }).constraint;
  return typeof constraint === 'string' ? constraint : undefined;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);
// pg reports some connection failures only through the message.
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'connection timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Cannot use a pool after calling end',
  'PGlite is closed',
  'PGlite is closing',
];

/**
 * True for failures of the connection rather than of the statement: network errors,
 * class 08 (connection exception), 57P01-57P03 (server shutting down or starting),
 * 53300 (too many connections).
 */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof ChorusError) return err.code === 'unavailable';
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || code.startsWith('08') || /^57P0[123]$/.test(code) || code === '53300') return true;
  }
  const message = err instanceof Error ? err.message : '';
  return CONNECTION_MESSAGES.some((m) => message.includes(m));
}

/** Turns connection failures into ChorusError('unavailable'); returns anything else unchanged. */
export function toUnavailable(err: unknown): unknown {
  if (err instanceof ChorusError || !isConnectionError(err)) return err;
  return new ChorusError('unavailable', 'database unavailable', { retryAfter: 1, cause: err });
}

const UNIQUE_MESSAGES: Record<string, string> = {
  users_username_lower_key: 'username already taken',
  users_email_lower_key: 'email already registered',
};

const FOREIGN_KEY_MESSAGES: Record<string, string> = {
  rooms_created_by_fkey: 'user not found',
  memberships_user_id_fkey: 'user not found',
  messages_sender_id_fkey: 'user not found',
  devices_user_id_fkey: 'user not found',
  memberships_room_id_fkey: 'room not found',
  messages_room_id_fkey: 'room not found',
};

/** Client-facing messages for the class-22 errors user input can cause. */
const BAD_VALUE_MESSAGES: Record<string, string> = {
  '22021': 'text must not contain NUL characters', // character_not_in_repertoire: a NUL byte in UTF-8 text
  '22P05': 'text must not contain NUL characters', // untranslatable_character: \u0000 in JSON or text
  '22001': 'value too long',
  '22003': 'number out of range',
  '22P02': 'invalid value',
};

/**
 * Maps database errors to the Store contract: unique violations are conflicts,
 * references to missing rows are not_found, bad values (class 22, check
 * violations) are bad_request, connection failures are unavailable.
 */
export function toStoreError(err: unknown): unknown {
  if (err instanceof ChorusError) return err;
  const state = sqlState(err);
  const constraint = sqlConstraint(err) ?? '';
  switch (true) {
    case state === '23505':
      return new ChorusError('conflict', UNIQUE_MESSAGES[constraint] ?? 'already exists', { cause: err });
    case state === '23503':
      return new ChorusError('not_found', FOREIGN_KEY_MESSAGES[constraint] ?? 'referenced row not found', { cause: err });
    case state === '23514':
    case state?.startsWith('22'):
      // The driver's message names database internals; it stays in `cause` (logs), not in the answer.
      return new ChorusError('bad_request', BAD_VALUE_MESSAGES[state ?? ''] ?? 'invalid value', { cause: err });
    default:
      return toUnavailable(err);
  }
}
