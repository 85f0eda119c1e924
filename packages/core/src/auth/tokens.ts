import { errors, jwtVerify, SignJWT } from 'jose';
import { ChorusError } from '../errors.js';
import type { TokenRevocations } from './token-revocations.js';

export interface TokenClaims {
  userId: string;
  username: string;
  /**
   * The user's token generation when the token was issued (claim `gen`; 0 when absent, as in
   * tokens issued before generations existed). See TokenRevocations.
   */
  generation: number;
}

export interface TokenIssuerOptions {
  secret: string;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/** Verified tokens remembered at most (a reconnect storm re-verifies the same tokens). */
const VERIFIED_CACHE_SIZE = 10_000;

/** HS256 JWTs with issuer, audience and expiry always checked. */
export class TokenService {
  readonly #key: Uint8Array;
  /** token → its claims and expiry (ms); insertion order is the eviction order. */
  readonly #verified = new Map<string, { claims: TokenClaims; expiresAt: number }>();

  /**
   * Without `revocations` every well-signed, unexpired token is good (tools, tests); the
   * services a process opens (openServices) always pass them.
   */
  constructor(
    private readonly options: TokenIssuerOptions,
    readonly revocations?: TokenRevocations,
  ) {
    this.#key = new TextEncoder().encode(options.secret);
  }

  async issue(claims: Omit<TokenClaims, 'generation'> & { generation?: number }): Promise<string> {
    return new SignJWT({ name: claims.username, gen: claims.generation ?? 0 })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setIssuedAt()
      .setExpirationTime(`${this.options.ttlSeconds}s`)
      .sign(this.#key);
  }

  /**
   * Verifies a token, and that it has not been revoked (log out everywhere, a password change,
   * a deleted account); throws ChorusError('token_expired' | 'unauthorized').
   */
  async verify(token: string): Promise<TokenClaims> {
    const claims = this.#cachedClaims(token) ?? (await this.#verifySignature(token));
    if (this.revocations) await this.revocations.check(claims.userId, claims.generation);
    return claims;
  }

  #cachedClaims(token: string): TokenClaims | undefined {
    const cached = this.#verified.get(token);
    if (!cached) return undefined;
    if (cached.expiresAt > Date.now()) return cached.claims;
    this.#verified.delete(token);
    return undefined;
  }

  async #verifySignature(token: string): Promise<TokenClaims> {
    try {
      const { payload } = await jwtVerify(token, this.#key, {
        algorithms: ['HS256'],
        issuer: this.options.issuer,
        audience: this.options.audience,
        requiredClaims: ['sub', 'exp'],
      });
      if (typeof payload.sub !== 'string' || typeof payload['name'] !== 'string') {
        throw new ChorusError('unauthorized', 'invalid token claims');
      }
      const gen = payload['gen'] ?? 0;
      if (typeof gen !== 'number' || !Number.isInteger(gen) || gen < 0) throw new ChorusError('unauthorized', 'invalid token claims');
      const claims = { userId: payload.sub, username: payload['name'], generation: gen };
      if (this.#verified.size >= VERIFIED_CACHE_SIZE) this.#verified.delete(this.#verified.keys().next().value!);
      this.#verified.set(token, { claims, expiresAt: payload.exp! * 1000 });
      return claims;
    } catch (err) {
      if (err instanceof ChorusError) throw err;
      if (err instanceof errors.JWTExpired) throw new ChorusError('token_expired', 'token expired');
      throw new ChorusError('unauthorized', 'invalid token');
    }
  }
}

/** Extracts the token from an `Authorization: Bearer <token>` value. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
