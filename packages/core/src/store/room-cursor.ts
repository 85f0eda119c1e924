import { badRequest } from '../errors.js';
import { isUuid } from './input.js';

/**
 * The public room directory's page cursor: the (created_at, id) of the last room
 * of a page, as base64url JSON. created_at travels as Postgres text with
 * microseconds, because a millisecond ISO string would not compare equal to the
 * stored value and rooms would be skipped or repeated across pages.
 */
export interface RoomCursor {
  createdAt: string;
  id: string;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** Rejects impossible dates such as Feb 30, which Date.parse rolls over but Postgres refuses. */
function isRealTimestamp(value: string): boolean {
  const ms = Date.parse(value);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 23) === value.slice(0, 23);
}

export function encodeRoomCursor(cursor: RoomCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString('base64url');
}

export function decodeRoomCursor(value: string): RoomCursor {
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(value)) throw new Error('not base64url');
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('invalid cursor');
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    typeof parsed[0] !== 'string' ||
    !TIMESTAMP.test(parsed[0]) ||
    !isRealTimestamp(parsed[0]) ||
    !isUuid(parsed[1])
  ) {
    throw badRequest('invalid cursor');
  }
  return { createdAt: parsed[0], id: parsed[1] };
}

/** SQL that renders created_at in the cursor's format. */
export const CURSOR_TIMESTAMP_SQL = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
