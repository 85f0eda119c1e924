import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './env.js';

/**
 * Secrets that have been published in the Chorus repository (old development defaults, the dev
 * overlay, the benchmark). Anyone can sign a token with them, so they are refused wherever they
 * come from.
 */
export const PUBLIC_JWT_SECRETS: readonly string[] = Object.freeze([
  'chorus-development-secret-change-me-0000',
  'chorus-dev-only-jwt-secret-not-for-production',
  'chorus-benchmark-secret-0123456789abcdef',
]);

/** env: JWT_SECRET; generated/loaded: the file in DATA_DIR; ephemeral: random for this process (NODE_ENV=test). */
export type JwtSecretSource = 'env' | 'generated' | 'loaded' | 'ephemeral';

export const JWT_SECRET_FILE = 'jwt-secret';
const MIN_LENGTH = 32;

let ephemeral: string | undefined;

/**
 * `given` (JWT_SECRET) when set (at least 32 characters, never a published one). Otherwise production
 * refuses to start (replicas must share one secret), tests get a random secret per process, and
 * development generates one into DATA_DIR once and reuses it, so tokens survive restarts.
 */
export function jwtSecret(given: string | undefined, mode: 'development' | 'production' | 'test', dataDir: string): { secret: string; source: JwtSecretSource } {
  if (given !== undefined) return { secret: checkSecret('JWT_SECRET', given), source: 'env' };
  if (mode === 'production') throw new ConfigError('JWT_SECRET', 'must be set in production (e.g. openssl rand -base64 48)');
  if (mode === 'test') {
    ephemeral ??= randomBytes(32).toString('base64url');
    return { secret: ephemeral, source: 'ephemeral' };
  }
  return secretFile(dataDir);
}

function checkSecret(where: string, secret: string): string {
  if (secret.length < MIN_LENGTH) throw new ConfigError(where, `must be at least ${MIN_LENGTH} characters`);
  if (PUBLIC_JWT_SECRETS.includes(secret)) {
    throw new ConfigError(where, 'is published in the Chorus repository, so anyone could sign tokens with it; generate your own (openssl rand -base64 48)');
  }
  return secret;
}

function secretFile(dataDir: string): { secret: string; source: JwtSecretSource } {
  const path = join(dataDir, JWT_SECRET_FILE);
  const existing = readSecret(path);
  if (existing !== undefined) return { secret: checkSecret(path, existing), source: 'loaded' };
  mkdirSync(dataDir, { recursive: true });
  // Written aside, then linked into place: link fails if another process won the race, and a
  // reader never sees a half-written file.
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temporary, `${randomBytes(48).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temporary, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    unlinkSync(temporary);
    return { secret: checkSecret(path, readSecret(path) ?? ''), source: 'loaded' };
  }
  unlinkSync(temporary);
  return { secret: checkSecret(path, readSecret(path) ?? ''), source: 'generated' };
}

function readSecret(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
