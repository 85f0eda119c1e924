import { FrameParser, StompParseError, type ParseEvent, type ParserLimits, type StompParseErrorReason } from '../../src/protocol/codec/index.js';

export const LARGE_LIMITS: ParserLimits = { maxFrameBytes: 1 << 20, maxHeaders: 1000, maxHeaderBytes: 1 << 16 };

/** A comparable form of an event. */
export type Plain = 'heartbeat' | { command: string; headers: [string, string][]; body: string };

export function plain(event: ParseEvent): Plain {
  if (event.type === 'heartbeat') return 'heartbeat';
  const { command, headers, body } = event.frame;
  return { command, headers: [...headers], body: body.toString('hex') };
}

export interface Outcome {
  events: Plain[];
  reason: StompParseErrorReason | undefined;
}

/** Pushes chunks in order; collects events (including those preceding an error) and the error's reason. */
export function run(chunks: (Buffer | string)[], limits: ParserLimits = LARGE_LIMITS): Outcome {
  const parser = new FrameParser(limits);
  const events: Plain[] = [];
  for (const chunk of chunks) {
    try {
      events.push(...parser.push(chunk).map(plain));
    } catch (err) {
      if (!(err instanceof StompParseError)) throw err;
      events.push(...err.precedingEvents.map(plain));
      return { events, reason: err.reason };
    }
  }
  return { events, reason: undefined };
}

/** The error a push must throw. */
export function parseError(parser: FrameParser, chunk: Buffer | string): StompParseError {
  try {
    parser.push(chunk);
  } catch (err) {
    if (err instanceof StompParseError) return err;
    throw err;
  }
  throw new Error('push() did not throw');
}

export function reasonOf(chunks: (Buffer | string)[], limits: ParserLimits = LARGE_LIMITS): StompParseErrorReason | undefined {
  return run(chunks, limits).reason;
}

/** Splits a buffer at the given (sorted, deduplicated) offsets. */
export function splitAt(bytes: Buffer, offsets: number[]): Buffer[] {
  const cuts = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const cut of cuts) {
    chunks.push(bytes.subarray(start, cut));
    start = cut;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

export function frame(command: string, headers: [string, string][], body = ''): Plain {
  return { command, headers, body: Buffer.from(body).toString('hex') };
}
