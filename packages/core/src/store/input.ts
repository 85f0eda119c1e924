import type { DevicePlatform } from '../domain/types.js';
import { badRequest } from '../errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Ids reach the store straight from URLs and frames. A value that is not a uuid
 * cannot name a row, so the store answers "not found" instead of letting
 * Postgres reject it (22P02) as a server error.
 */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

export const MAX_LIMIT = 500;

export function checkLimit(limit: unknown): number {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw badRequest(`limit must be an integer between 1 and ${MAX_LIMIT}`);
  }
  return limit;
}

/** A message seq argument: a non-negative safe integer. */
export function checkSeq(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw badRequest(`${name} must be a non-negative integer`);
  }
  return value;
}

const PLATFORMS: readonly DevicePlatform[] = ['android', 'ios', 'web'];
export const MAX_DEVICE_TOKEN_LENGTH = 4096;

export function checkDevice(token: unknown, platform: unknown): void {
  if (typeof token !== 'string' || token.trim() === '' || token.length > MAX_DEVICE_TOKEN_LENGTH) {
    throw badRequest(`device token must be a non-empty string of at most ${MAX_DEVICE_TOKEN_LENGTH} characters`);
  }
  if (!PLATFORMS.includes(platform as DevicePlatform)) {
    throw badRequest(`platform must be one of ${PLATFORMS.join(', ')}`);
  }
}
