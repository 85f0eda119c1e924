import { bearerToken, isChorusError, type TokenService } from '@chorus/core';
import type { StompFrame, StompVersion } from '../protocol/codec/index.js';
import { CloseCodes } from '../protocol/close-codes.js';
import { parseHeartbeatHeader } from './heartbeat.js';
import type { SessionContext } from './session-context.js';

const SUPPORTED_VERSIONS: readonly StompVersion[] = ['1.2', '1.1', '1.0'];

type Claims = Awaited<ReturnType<TokenService['verify']>>;

/** A CONNECT (or STOMP) frame's outcome: the session to open, or the ERROR that refuses it. */
export type ConnectOutcome =
  | { accepted: true; version: StompVersion; heartbeat: [number, number]; claims: Claims }
  | { accepted: false; message: string; closeCode: number; headers?: Record<string, string> };

/** Negotiates the version and heart-beats of a CONNECT frame and authenticates its token. */
export async function negotiateConnect(frame: StompFrame, ctx: SessionContext): Promise<ConnectOutcome> {
  const accepted = (frame.headers.get('accept-version') ?? '1.0').split(',').map((v) => v.trim());
  const version = SUPPORTED_VERSIONS.find((v) => accepted.includes(v));
  if (!version) {
    return {
      accepted: false,
      message: `unsupported STOMP version; this server speaks ${SUPPORTED_VERSIONS.join(',')}`,
      closeCode: CloseCodes.protocolError,
      headers: { version: SUPPORTED_VERSIONS.join(',') },
    };
  }
  const heartbeat = parseHeartbeatHeader(frame.headers.get('heart-beat'));
  if (!heartbeat) {
    return { accepted: false, message: 'invalid heart-beat header: expected "cx,cy" in milliseconds', closeCode: CloseCodes.protocolError };
  }
  const token = bearerToken(frame.headers.get('authorization') ?? frame.headers.get('Authorization')) ?? frame.headers.get('passcode');
  if (!token) {
    ctx.metrics.stompErrors.inc({ code: 'unauthorized' });
    return {
      accepted: false,
      message: 'authentication required: send "Authorization: Bearer <token>" (or the token as passcode)',
      closeCode: CloseCodes.policyViolation,
    };
  }
  let claims: Claims;
  try {
    claims = await ctx.tokens.verify(token);
  } catch (err) {
    const code = isChorusError(err) ? err.code : 'unauthorized';
    ctx.metrics.stompErrors.inc({ code });
    // A revoked token says so (the client should sign in again, not retry); others stay vague.
    const revoked = isChorusError(err) && /^(token revoked|account deleted)/.test(err.message);
    const message = code === 'token_expired' ? 'token expired' : revoked ? (err as Error).message : 'invalid token';
    return { accepted: false, message, closeCode: CloseCodes.policyViolation };
  }
  return { accepted: true, version, heartbeat, claims };
}
