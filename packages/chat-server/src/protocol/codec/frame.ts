/** One decoded STOMP frame. */
export interface StompFrame {
  /** The command, e.g. 'SEND' (always [A-Z]{1,32}). */
  command: string;
  /** Decoded headers; when a header repeats, the FIRST occurrence wins (STOMP 1.2). */
  headers: Map<string, string>;
  /** Raw body bytes (may be empty). May share memory with the chunk it was parsed from. */
  body: Buffer;
}

/** What the parser yields: a whole frame, or a heart-beat (an EOL between frames). */
export type ParseEvent = { type: 'frame'; frame: StompFrame } | { type: 'heartbeat' };

export const CLIENT_COMMANDS: ReadonlySet<string> = new Set([
  'CONNECT',
  'STOMP',
  'SEND',
  'SUBSCRIBE',
  'UNSUBSCRIBE',
  'ACK',
  'NACK',
  'BEGIN',
  'COMMIT',
  'ABORT',
  'DISCONNECT',
]);

export const SERVER_COMMANDS: ReadonlySet<string> = new Set(['CONNECTED', 'MESSAGE', 'RECEIPT', 'ERROR']);

/** Longest command the parser accepts (the longest standard one, UNSUBSCRIBE, has 11 letters). */
export const MAX_COMMAND_LENGTH = 32;

export const COMMAND_PATTERN = /^[A-Z]{1,32}$/;

/**
 * CONNECT and CONNECTED frames carry their headers verbatim: STOMP 1.2 says they are not
 * escaped, for compatibility with 1.0 peers that have not negotiated a version yet.
 */
export function hasVerbatimHeaders(command: string): boolean {
  return command === 'CONNECT' || command === 'CONNECTED';
}
