/** Bounds the parser enforces while bytes arrive. */
export interface ParserLimits {
  /** Largest whole frame in bytes: command line, header lines, blank line, body and the NUL. */
  maxFrameBytes: number;
  /** Most header lines in one frame (repeated names count every time). */
  maxHeaders: number;
  /** Longest command or header line in bytes, without its EOL. */
  maxHeaderBytes: number;
}

/** Mirrors the defaults of MAX_FRAME_BYTES / MAX_HEADERS / MAX_HEADER_BYTES in @chorus/core's config. */
export const DEFAULT_PARSER_LIMITS: Readonly<ParserLimits> = Object.freeze({
  maxFrameBytes: 65_536,
  maxHeaders: 32,
  maxHeaderBytes: 4096,
});

export function assertValidLimits(limits: ParserLimits): void {
  for (const key of ['maxFrameBytes', 'maxHeaders', 'maxHeaderBytes'] as const) {
    const value = limits[key];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`ParserLimits.${key} must be a positive integer, got ${String(value)}`);
    }
  }
}
