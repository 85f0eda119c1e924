import { describe, expect, it } from 'vitest';
import { ApiError, describeError, errorFromBody } from '../src/client/api/api-error.js';

describe('errorFromBody', () => {
  it('reads the {"error":{"code","message"}} shape and Retry-After', () => {
    const err = errorFromBody(429, { error: { code: 'rate_limited', message: 'slow down' } }, '3');
    expect([err.status, err.code, err.message, err.retryAfter]).toEqual([429, 'rate_limited', 'slow down', 3]);
  });

  it('falls back on the status for bodies it cannot read', () => {
    expect(errorFromBody(413, 'nope', null).code).toBe('payload_too_large');
    expect(errorFromBody(502, undefined, 'soon').code).toBe('unavailable');
    expect(errorFromBody(502, undefined, 'soon').retryAfter).toBeUndefined();
    expect(errorFromBody(418, { error: 'teapot' }, null).code).toBe('bad_request');
  });
});

describe('describeError', () => {
  it('says what went wrong in words', () => {
    expect(describeError(new ApiError(0, 'payload_too_large', 'text is longer than 4000 characters'))).toBe(
      'Message too long: text is longer than 4000 characters',
    );
    expect(describeError(new ApiError(0, 'rate_limited', 'sending too fast; slow down', 2))).toBe(
      'Rate limited: try again in 2s. sending too fast; slow down',
    );
    expect(describeError(new ApiError(0, 'network', 'x'))).toMatch(/Cannot reach the server/);
    expect(describeError(new ApiError(404, 'not_found', 'room not found'))).toBe('Room not found');
    expect(describeError('plain')).toBe('plain');
  });
});
