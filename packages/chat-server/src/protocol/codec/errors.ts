import type { ParseEvent } from './frame.js';

export type StompParseErrorReason =
  | 'frame_too_large'
  | 'too_many_headers'
  | 'header_too_long'
  | 'malformed_frame'
  | 'invalid_header_escape'
  | 'invalid_content_length'
  | 'invalid_utf8'
  | 'invalid_command';

/** A protocol violation in received bytes; the connection cannot continue after it. */
export class StompParseError extends Error {
  override readonly name = 'StompParseError';
  readonly reason: StompParseErrorReason;
  /**
   * Events completed earlier in the push() call that failed, so a session can act on the
   * frames that arrived intact before the violation (as it would have, had they arrived in
   * an earlier chunk). Filled only when this error is first thrown.
   */
  precedingEvents: readonly ParseEvent[] = [];

  constructor(reason: StompParseErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/** A frame the encoder cannot represent on the wire (e.g. a NUL or line break where no escape exists). */
export class StompEncodeError extends Error {
  override readonly name = 'StompEncodeError';
}
