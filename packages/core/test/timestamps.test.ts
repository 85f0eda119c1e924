import { describe, expect, it } from 'vitest';
import { isoTimestamp, utcTimestamptzToIso } from '../src/store/timestamps.js';

describe('utcTimestamptzToIso', () => {
  it("gives Date#toISOString's form of Postgres's UTC text, truncating microseconds", () => {
    for (const [text, iso] of [
      ['2026-12-07 05:52:35+00', '2026-12-07T05:52:35.000Z'],
      ['2026-12-07 05:52:35.5+00', '2026-12-07T05:52:35.500Z'],
      ['2026-12-07 05:52:35.12+00', '2026-12-07T05:52:35.120Z'],
      ['2026-12-07 05:52:35.1239+00', '2026-12-07T05:52:35.123Z'],
      ['0001-01-01 00:00:00.000001+00', '0001-01-01T00:00:00.000Z'],
    ]) {
      expect(utcTimestamptzToIso(text!), text).toBe(iso);
      expect(new Date(iso!).toISOString()).toBe(iso);
    }
  });

  it('leaves every other form to the Date parser', () => {
    for (const text of ['2026-12-07 05:52:35+01', '2026-12-07 05:52:35-03:30', '0044-03-15 12:00:00+00 BC', '12026-01-01 00:00:00+00', 'infinity', '-infinity', '2026-12-07T05:52:35Z', '2026-12-07 05:52:35.1234567+00', '']) {
      expect(utcTimestamptzToIso(text), text).toBeNull();
    }
  });
});

describe('isoTimestamp', () => {
  it('passes ISO strings through and formats Dates and other strings', () => {
    expect(isoTimestamp('2026-12-07T05:52:35.123Z')).toBe('2026-12-07T05:52:35.123Z');
    expect(isoTimestamp(new Date(Date.UTC(2026, 11, 7, 5, 52, 35, 123)))).toBe('2026-12-07T05:52:35.123Z');
    expect(isoTimestamp('2026-12-07T06:52:35.123+01:00')).toBe('2026-12-07T05:52:35.123Z');
  });
});
