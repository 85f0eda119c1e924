import { isChorusError, type ChorusError } from '@chorus/core';
import { encodeFrame, type StompFrame, type StompVersion } from '../protocol/codec/index.js';
import { USER_ERRORS_QUEUE, userQueueDestination, type ErrorBody } from '../protocol/destinations.js';

/** What a refused frame tells the client. */
export interface Refusal {
  code: string;
  message: string;
  /** The ChorusError behind it; null for an unexpected error (logged by the caller, sent as `internal`). */
  error: ChorusError | null;
}

export function describeRefusal(err: unknown): Refusal {
  const error = isChorusError(err) ? err : null;
  return { code: error?.code ?? 'internal', message: error?.message ?? 'internal error', error };
}

/** The MESSAGE on /user/queue/errors that reports a refusal to a client subscribed there. */
export function renderErrorMessage(frame: StompFrame, refusal: Refusal, subscriptionId: string, sessionId: number, version: StompVersion): Buffer {
  const { code, message, error } = refusal;
  const receipt = frame.headers.get('receipt');
  const destination = frame.headers.get('destination');
  const errorBody: ErrorBody = {
    code,
    message,
    command: frame.command,
    ...(receipt !== undefined ? { receiptId: receipt } : {}),
    ...(destination !== undefined ? { destination } : {}),
    ...(error?.retryAfter !== undefined ? { retryAfter: error.retryAfter } : {}),
  };
  const body = JSON.stringify(errorBody);
  const headers: Record<string, string> = {
    destination: userQueueDestination(USER_ERRORS_QUEUE),
    subscription: subscriptionId,
    'message-id': `error-${sessionId}-${Date.now()}`,
    'content-type': 'application/json',
    'error-code': code,
  };
  if (receipt !== undefined) headers['receipt-id'] = receipt;
  return encodeFrame('MESSAGE', headers, body, version);
}

/** The headers of the ERROR frame that reports a refusal to a client without an errors subscription. */
export function refusalErrorHeaders(frame: StompFrame, refusal: Refusal): Record<string, string> {
  const headers: Record<string, string> = { 'error-code': refusal.code };
  const receipt = frame.headers.get('receipt');
  if (receipt !== undefined) headers['receipt-id'] = receipt;
  return headers;
}

/** An ERROR frame (message header + text body), after which the connection closes, as the spec requires. */
export function renderErrorFrame(message: string, extraHeaders: Record<string, string>, version: StompVersion): Buffer {
  return encodeFrame('ERROR', { message, 'content-type': 'text/plain', ...extraHeaders }, message, version);
}
