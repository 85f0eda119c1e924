import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import type { TokenService } from '@chorus/core';

/** Shared by the REST fuzz suite: seeds, hostile values and every flavour of bad token. */

export const FUZZ_SEED = readInt('FUZZ_SEED', 20_261_122);
const SCALE = readInt('FUZZ_RUNS', 300) / 300;
export const runs = (base: number) => Math.max(1, Math.round(base * SCALE));

function readInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return n;
}

const SQLISH = [
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  "Robert'); DROP TABLE rooms;--",
  '" OR ""="',
  "1; SELECT pg_sleep(10)",
  "' UNION SELECT password_hash FROM users --",
  '%',
  '_',
  '\\',
  'NULL',
  "$1",
  "E'\\\\x00'",
];
const UNICODE_EDGES = [
  '',
  ' ',
  '\t\n\r',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\ud83d\ude00',
  '\u202e\u0644\u0627',
  '\u200b',
  '\ufeff',
  'e\u0301',
  'ﬁ',
  'İ',
  '𝕏',
  '\u{10ffff}',
  '\uffff',
  '\ufffd',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '${jndi:ldap://x}',
  '{{7*7}}',
  '__proto__',
];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...SQLISH, ...UNICODE_EDGES),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.tuple(fc.constantFrom('a', 'é', '😀', ' ', '\u0000'), fc.integer({ min: 100, max: 6000 })).map(([c, n]) => c.repeat(n)),
  fc.constantFrom('ab', 'abc', 'alice', 'alice@example.test', 'correct horse battery', 'web', 'android', 'ios'),
);

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(-1, 0, 1, 1.5, -0, 1e308, -1e308, 2 ** 53 + 1, 2 ** 31, 2 ** 63, Number.MAX_SAFE_INTEGER),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Any JSON value, biased to the hostile strings and numbers above. */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [1, 2], { text: 'x' }, { $gt: '' }) },
  { weight: 1, arbitrary: fc.json({ maxDepth: 3 }).map((s) => JSON.parse(s) as unknown) },
);

/** Path segments: real ids, unknown ids and junk ('.' and '..' would be resolved away by the client). */
export const hostileSegment = (real: string[]): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...real) },
    { weight: 1, arbitrary: fc.constant(randomUUID()) },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.constantFrom(randomUUID().toUpperCase(), '00000000-0000-0000-0000-000000000000', 'not-a-uuid', '..%2f', '%2e%2e%2f') },
    { weight: 3, arbitrary: hostileString.filter((s) => s.length > 0 && s.length < 2000) },
  ).filter((s) => s !== '.' && s !== '..');

/** Tokens that must all be refused with 401, and why. */
export async function badTokens(tokens: TokenService, options: { secret: string; issuer: string; audience: string }, userId: string): Promise<Record<string, string>> {
  const key = new TextEncoder().encode(options.secret);
  const other = new TextEncoder().encode('another-secret-another-secret-another-secret');
  const now = Math.floor(Date.now() / 1000);
  const jwt = (claims: Record<string, unknown> = { name: 'x' }) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(userId).setIssuer(options.issuer).setAudience(options.audience);
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const valid = await tokens.issue({ userId, username: 'x' });
  const [head, , signature] = valid.split('.');
  return {
    garbage: 'garbage',
    'three dots': 'a.b.c',
    empty: '',
    expired: await jwt().setIssuedAt(now - 7200).setExpirationTime(now - 3600).sign(key),
    'signed with another key': await jwt().setExpirationTime('1h').sign(other),
    'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: userId, name: 'x', iss: options.issuer, aud: options.audience, exp: now + 3600 })}.`,
    'alg HS512 with the right key': await new SignJWT({ name: 'x' }).setProtectedHeader({ alg: 'HS512' }).setSubject(userId).setIssuer(options.issuer).setAudience(options.audience).setExpirationTime('1h').sign(key),
    'wrong issuer': await new SignJWT({ name: 'x' }).setProtectedHeader({ alg: 'HS256' }).setSubject(userId).setIssuer('someone-else').setAudience(options.audience).setExpirationTime('1h').sign(key),
    'wrong audience': await new SignJWT({ name: 'x' }).setProtectedHeader({ alg: 'HS256' }).setSubject(userId).setIssuer(options.issuer).setAudience('someone-else').setExpirationTime('1h').sign(key),
    'no expiry': await jwt().sign(key),
    'tampered payload': `${head}.${b64({ sub: randomUUID(), name: 'admin', iss: options.issuer, aud: options.audience, exp: now + 3600 })}.${signature}`,
    'unknown user': await tokens.issue({ userId: randomUUID(), username: 'ghost' }),
    'subject that is not a uuid': await tokens.issue({ userId: "' OR 1=1 --", username: 'x' }),
  };
}
