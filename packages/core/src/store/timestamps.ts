import pg from 'pg';

/** A timestamptz column as the drivers return it: a Date (PGlite) or an ISO 8601 string (pg, see below). */
export type Timestamp = Date | string;

/** Postgres's text output of a UTC timestamptz: '2026-12-07 05:52:35.123456+00'. */
const UTC_TIMESTAMPTZ = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?\+00$/;
/** What Date#toISOString gives: '2026-12-07T05:52:35.123Z'. */
const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The ISO 8601 form (Date#toISOString's: milliseconds, truncated, and Z) of Postgres's text
 * for a UTC timestamptz, or null for any other text (another session time zone, BC,
 * years past 9999, infinity).
 */
export function utcTimestamptzToIso(text: string): string | null {
  const parts = UTC_TIMESTAMPTZ.exec(text);
  if (parts === null) return null;
  const millis = parts[3] === undefined ? '000' : (parts[3] + '00').slice(0, 3);
  return `${parts[1]}T${parts[2]}.${millis}Z`;
}

const parseTimestamptzAsDate = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ, 'text');

/**
 * pg's type parsers, with timestamptz read straight into the ISO string every row mapper
 * produces. pg's default builds a Date with a regular expression, which the mappers then
 * format again: both were ~5% of a history page's CPU. Other text still becomes a Date.
 */
export const chorusPgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.TIMESTAMPTZ && format !== 'binary'
      ? (text: string) => utcTimestamptzToIso(text) ?? parseTimestamptzAsDate(text)
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/** A timestamptz value as ISO 8601 with milliseconds (the API's form). */
export function isoTimestamp(value: Timestamp): string {
  return typeof value === 'string' && ISO_MILLIS.test(value) ? value : new Date(value).toISOString();
}
