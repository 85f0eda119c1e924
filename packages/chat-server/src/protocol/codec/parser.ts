// Longer than the package's other files on purpose: the parser is one byte-level state
// machine whose states share the frame-in-progress fields and the per-chunk NUL cache, and
// splitting its states across modules would put those fields behind calls on the hot path.
import { isUtf8 } from 'node:buffer';
import { StompParseError, type StompParseErrorReason } from './errors.js';
import { unescapeHeader, type StompVersion } from './escape.js';
import { CLIENT_COMMANDS, hasVerbatimHeaders, MAX_COMMAND_LENGTH, SERVER_COMMANDS, type ParseEvent } from './frame.js';
import { assertValidLimits, type ParserLimits } from './limits.js';

const HEARTBEAT: ParseEvent = Object.freeze({ type: 'heartbeat' });
const EMPTY = Buffer.alloc(0);
/** The headers of a frame before its first header line; never handed out (see emit). */
const NO_HEADERS: ReadonlyMap<string, string> = new Map();

const NUL = 0x00;
const LF = 0x0a;
const CR = 0x0d;
const A = 0x41;
const Z = 0x5a;

// Where the parser is in the byte stream.
const IDLE = 0; // between frames: EOLs are heart-beats
const IDLE_CR = 1; // between frames, after a CR that must be followed by LF
const COMMAND = 2; // inside the command line
const HEADERS = 3; // inside the header lines
const BODY = 4; // inside the body
const BODY_END = 5; // content-length bytes read, the NUL must follow
type State = typeof IDLE | typeof IDLE_CR | typeof COMMAND | typeof HEADERS | typeof BODY | typeof BODY_END;

// CR, never allowed inside a header line (checkLine catches NULs), plus U+FFFD, which Node's
// UTF-8 decoder substitutes for invalid bytes (so its presence triggers the exact isUtf8 check).
const SUSPECT_CHARS = /[\r\uFFFD]/;

/**
 * Incremental STOMP 1.2 frame parser, a state machine over byte chunks. Every limit is
 * checked as bytes arrive, so a frame that never ends hits a limit instead of growing.
 *
 * Bodies are not copied: a body lying wholly inside one chunk is a view of that chunk, and
 * body bytes waiting for the rest of their frame stay views of their chunks until it completes.
 * Callers must therefore not reuse a chunk's memory after pushing it (ws and net never do).
 * Partial command and header lines are copied, as they are small.
 */
export class FrameParser {
  private readonly limits: Readonly<ParserLimits>;
  /**
   * The negotiated version, which decides how headers are unescaped (1.0: not at all, 1.1: no
   * \r). Frames before CONNECTED read as 1.2; CONNECT's own headers are never unescaped.
   */
  version: StompVersion = '1.2';
  private state: State = IDLE;
  private error: StompParseError | undefined;

  // The frame in progress.
  private command = '';
  private verbatim = false;
  // A Map only once a header arrives: an idle connection's parser holds none.
  private headers: Map<string, string> = NO_HEADERS as Map<string, string>;
  private headerCount = 0;
  private contentLength = -1;
  /** Bytes of the frame already consumed into command/headers (not counting `pending`). */
  private frameBytes = 0;
  /** Bytes of a line or body that began in an earlier chunk; an array only while there are some (as headers). */
  private pending: Buffer[] | null = null;
  private pendingBytes = 0;
  /** Command line: a CR was read and only LF may follow. */
  private commandCR = false;
  private body: Buffer = EMPTY;
  /** Cache of the next NUL in the chunk being consumed (see nulFrom). */
  private nulChunk: Buffer | undefined;
  private nextNul = -1;

  constructor(limits: ParserLimits) {
    assertValidLimits(limits);
    // A frozen limits object (one per server) is shared by every parser; others are copied.
    this.limits = Object.isFrozen(limits)
      ? limits
      : { maxFrameBytes: limits.maxFrameBytes, maxHeaders: limits.maxHeaders, maxHeaderBytes: limits.maxHeaderBytes };
  }

  /**
   * Between frames, with nothing buffered and no error: the parser holds nothing of its stream,
   * so any other stream with the same limits may be parsed with it next.
   */
  get betweenFrames(): boolean {
    return this.state === IDLE && this.error === undefined;
  }

  /** Bytes buffered for a frame not yet complete (for tests/metrics). Never above maxFrameBytes. */
  get bufferedBytes(): number {
    return this.frameBytes + this.pendingBytes;
  }

  /**
   * Feeds a chunk (a WebSocket message may hold several frames, and a frame may span several
   * messages). Returns every complete event in order. Throws StompParseError on a protocol
   * violation; after that the parser is unusable (every later push throws the same error).
   * Never throws anything else, whatever the input.
   */
  push(chunk: Buffer | string): ParseEvent[] {
    if (this.error) throw this.error;
    const events: ParseEvent[] = [];
    try {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : toBuffer(chunk);
      this.consume(bytes, events);
    } catch (err) {
      const error =
        err instanceof StompParseError ? err : new StompParseError('malformed_frame', 'internal STOMP parser error', { cause: err });
      error.precedingEvents = events;
      this.error = error;
      this.resetFrame();
      throw error;
    } finally {
      this.nulChunk = undefined; // do not retain the chunk
    }
    return events;
  }

  private consume(chunk: Buffer, events: ParseEvent[]): void {
    const len = chunk.length;
    let pos = 0;
    while (pos < len) {
      switch (this.state) {
        case IDLE: {
          const byte = chunk[pos] as number;
          if (byte === LF) {
            events.push(HEARTBEAT);
            pos++;
          } else if (byte === CR) {
            this.state = IDLE_CR;
            pos++;
          } else {
            this.state = COMMAND;
          }
          break;
        }
        case IDLE_CR:
          if (chunk[pos] !== LF) throw fail('malformed_frame', 'CR not followed by LF between frames');
          events.push(HEARTBEAT);
          this.state = IDLE;
          pos++;
          break;
        case COMMAND:
          pos = this.readCommand(chunk, pos);
          break;
        case HEADERS:
          pos = this.readHeaders(chunk, pos, events);
          break;
        case BODY:
          pos = this.contentLength >= 0 ? this.readSizedBody(chunk, pos, events) : this.readBodyToNul(chunk, pos, events);
          break;
        case BODY_END:
          if (chunk[pos] !== NUL) throw fail('malformed_frame', 'frame body is longer than its content-length');
          this.emit(events, this.body);
          pos++;
          break;
      }
    }
  }

  /**
   * Command letters are checked one by one (there are at most 32), so a bad byte fails as it
   * arrives, and at the same byte however the input was chunked.
   */
  private readCommand(chunk: Buffer, pos: number): number {
    const len = chunk.length;
    const { maxHeaderBytes, maxFrameBytes } = this.limits;
    let lineBytes = this.pendingBytes; // letters so far, plus a CR if one was read
    let i = pos;
    for (; i < len; i++) {
      const byte = chunk[i] as number;
      if (this.commandCR && byte !== LF) throw fail('invalid_command', 'CR inside the command line');
      if (byte >= A && byte <= Z) {
        if (lineBytes >= MAX_COMMAND_LENGTH) throw fail('invalid_command', `command longer than ${MAX_COMMAND_LENGTH} letters`);
        if (lineBytes >= maxHeaderBytes) throw tooLong(maxHeaderBytes);
      } else if (byte === CR) {
        this.commandCR = true;
      } else if (byte !== LF) {
        if (byte === NUL && lineBytes > 0) throw fail('malformed_frame', 'frame ended inside its command line');
        throw fail('invalid_command', 'a command must consist of uppercase letters A-Z');
      }
      if (++lineBytes > maxFrameBytes) throw tooLarge(maxFrameBytes);
      if (byte === LF) break;
    }
    const end = this.commandCR && i > pos && chunk[i - 1] === CR ? i - 1 : i;
    if (i < len && this.command === '') this.command = knownCommand(chunk, pos, end) ?? chunk.toString('latin1', pos, end);
    else this.command += chunk.toString('latin1', pos, end);
    if (i === len) {
      this.pendingBytes = lineBytes;
      return len;
    }
    // Command line complete.
    this.frameBytes = lineBytes;
    this.pendingBytes = 0;
    this.commandCR = false;
    this.verbatim = hasVerbatimHeaders(this.command);
    this.state = HEADERS;
    return i + 1;
  }

  private readHeaders(chunk: Buffer, pos: number, events: ParseEvent[]): number {
    if (this.pendingBytes === 0) {
      const next = this.readHeaderBlock(chunk, pos, events);
      if (next !== -1) return next;
    }
    return this.readHeaderLines(chunk, pos, events);
  }

  /**
   * The common case: the rest of the header block lies in this chunk. Its lines are checked
   * byte-wise, decoded with one toString (a call per line costs far more) and split as a string.
   * Returns -1, having consumed nothing, when the block is incomplete, breaks a byte-level rule or
   * holds U+FFFD; readHeaderLines then takes over and reports the first error exactly.
   */
  private readHeaderBlock(chunk: Buffer, pos: number, events: ParseEvent[]): number {
    const len = chunk.length;
    let frameBytes = this.frameBytes;
    let lineStart = pos;
    for (;;) {
      if (lineStart >= len) return -1;
      if (chunk[lineStart] === NUL) break; // a frame without blank line ends here
      const lf = chunk.indexOf(LF, lineStart);
      if (lf === -1 || this.lineViolation(chunk, lineStart, lf, true, 0, frameBytes)) return -1;
      frameBytes += lf - lineStart + 1;
      if (lf === lineStart || (lf === lineStart + 1 && chunk[lineStart] === CR)) break; // the blank line
      lineStart = lf + 1;
    }
    if (lineStart > pos) {
      // Every line in the text ends with LF; none is blank.
      const text = chunk.toString('utf8', pos, lineStart);
      if (text.includes('\uFFFD')) return -1;
      for (let start = 0; start < text.length; ) {
        const lf = text.indexOf('\n', start);
        this.addHeader(text.slice(start, text.charCodeAt(lf - 1) === CR ? lf - 1 : lf));
        start = lf + 1;
      }
    }
    this.frameBytes = frameBytes;
    if (chunk[lineStart] === NUL) {
      this.endWithoutBody(events);
      return lineStart + 1;
    }
    this.startBody();
    return lineStart + (chunk[lineStart] === CR ? 2 : 1);
  }

  /** Reads header lines one by one: the general path, for lines that span chunks. */
  private readHeaderLines(chunk: Buffer, pos: number, events: ParseEvent[]): number {
    const len = chunk.length;
    while (pos < len) {
      // A NUL where a header line would start ends a frame that has no blank line (and no body).
      if (this.pendingBytes === 0 && chunk[pos] === NUL) {
        this.endWithoutBody(events);
        return pos + 1;
      }
      const lf = chunk.indexOf(LF, pos);
      const end = lf === -1 ? len : lf;
      const violation = this.lineViolation(chunk, pos, end, lf !== -1, this.pendingBytes, this.frameBytes);
      if (violation) throw violation;
      const lineBytes = this.pendingBytes + (end - pos);
      if (lf === -1) {
        (this.pending ??= []).push(Buffer.from(chunk.subarray(pos))); // a small copy, so the chunk itself is not retained
        this.pendingBytes = lineBytes;
        return len;
      }
      // The whole line: in this chunk, or joined with its start from earlier chunks.
      let buf = chunk;
      let start = pos;
      if (this.pendingBytes > 0) {
        buf = this.takePending(chunk.subarray(pos, lf));
        start = 0;
      }
      let lineEnd = start + lineBytes;
      if (lineBytes > 0 && buf[lineEnd - 1] === CR) lineEnd--;
      this.frameBytes += lineBytes + 1;
      pos = lf + 1;
      if (lineEnd === start) {
        this.startBody();
        return pos;
      }
      this.addHeader(buf.toString('utf8', start, lineEnd), buf, start, lineEnd);
    }
    return pos;
  }

  /**
   * Checks the bytes chunk[pos, end) of a header line (and its LF when `complete`) against the
   * rules that can break before a line ends: a NUL, maxHeaderBytes, maxFrameBytes. `before` bytes
   * of the line arrived earlier; the frame had `frameBytes` before the line. Returns the error for
   * the earliest offending byte, so the verdict is the same however the input was chunked.
   */
  private lineViolation(
    chunk: Buffer,
    pos: number,
    end: number,
    complete: boolean,
    before: number,
    frameBytes: number,
  ): StompParseError | undefined {
    const { maxHeaderBytes, maxFrameBytes } = this.limits;
    const lineBytes = before + (end - pos);
    // 1-based positions in the line of the first byte breaking each rule (the LF is byte lineBytes + 1).
    const nul = this.nulFrom(chunk, pos);
    const nulAt = nul !== -1 && nul < end ? before + (nul - pos) + 1 : Infinity;
    let longAt = Infinity;
    if (lineBytes > maxHeaderBytes) {
      // Byte max+1 may be the CR of the EOL: the line is then too long only from byte max+2.
      longAt = maxHeaderBytes + (this.lineByte(chunk, pos, before, maxHeaderBytes) === CR ? 2 : 1);
      if (longAt > lineBytes) longAt = Infinity;
    }
    let largeAt = maxFrameBytes - frameBytes + 1;
    if (largeAt > lineBytes + (complete ? 1 : 0)) largeAt = Infinity;
    const first = Math.min(nulAt, longAt, largeAt);
    if (first === Infinity) return undefined;
    if (first === nulAt) return fail('malformed_frame', 'NUL inside a header line');
    if (first === longAt) return tooLong(maxHeaderBytes);
    return tooLarge(maxFrameBytes);
  }

  /** Byte `index` of the current line, whose first `before` bytes are in the pending pieces. */
  private lineByte(chunk: Buffer, pos: number, before: number, index: number): number | undefined {
    if (index >= before) return chunk[pos + index - before];
    for (const piece of this.pending ?? []) {
      if (index < piece.length) return piece[index];
      index -= piece.length;
    }
    return undefined;
  }

  /** Position of the first NUL at or after pos in this chunk, or -1; one scan serves a whole frame. */
  private nulFrom(chunk: Buffer, pos: number): number {
    if (this.nulChunk !== chunk || (this.nextNul !== -1 && this.nextNul < pos)) {
      this.nulChunk = chunk;
      this.nextNul = chunk.indexOf(NUL, pos);
    }
    return this.nextNul;
  }

  /**
   * Adds one decoded header line (without EOL). `bytes[start, end)` are its raw bytes, needed only
   * to tell a real U+FFFD from invalid UTF-8; callers that know the text has no U+FFFD omit them.
   */
  private addHeader(line: string, bytes?: Buffer, start = 0, end = 0): void {
    if (SUSPECT_CHARS.test(line)) {
      if (bytes && !isUtf8(bytes.subarray(start, end))) throw fail('invalid_utf8', 'header is not valid UTF-8');
      if (line.includes('\r')) throw fail('malformed_frame', 'CR inside a header line');
    }
    const colon = line.indexOf(':');
    if (colon === -1) throw fail('malformed_frame', 'header line without a colon');
    if (colon === 0) throw fail('malformed_frame', 'header line with an empty name');
    if (++this.headerCount > this.limits.maxHeaders) {
      throw fail('too_many_headers', `frame has more than ${this.limits.maxHeaders} headers`);
    }
    let name = line.slice(0, colon);
    let value = line.slice(colon + 1);
    if (!this.verbatim && line.includes('\\')) {
      name = unescapeHeader(name, this.version);
      value = unescapeHeader(value, this.version);
    }
    if (this.headers === NO_HEADERS) this.headers = new Map();
    else if (this.headers.has(name)) return; // repeated header: the first one wins
    this.headers.set(name, value);
    if (name === 'content-length') this.contentLength = parseContentLength(value, this.limits.maxFrameBytes);
  }

  /** A NUL where a header line would start ends a frame that has no blank line, and no body. */
  private endWithoutBody(events: ParseEvent[]): void {
    if (this.contentLength > 0) throw fail('malformed_frame', 'frame ended before its content-length body');
    if (this.frameBytes + 1 > this.limits.maxFrameBytes) throw tooLarge(this.limits.maxFrameBytes);
    this.emit(events, EMPTY);
  }

  private startBody(): void {
    if (this.contentLength >= 0 && this.frameBytes + this.contentLength + 1 > this.limits.maxFrameBytes) {
      throw tooLarge(this.limits.maxFrameBytes);
    }
    this.state = BODY;
  }

  private readSizedBody(chunk: Buffer, pos: number, events: ParseEvent[]): number {
    const missing = this.contentLength - this.pendingBytes;
    const available = chunk.length - pos;
    if (available < missing) {
      (this.pending ??= []).push(chunk.subarray(pos));
      this.pendingBytes += available;
      return chunk.length;
    }
    const end = pos + missing;
    const body = this.pendingBytes === 0 ? chunk.subarray(pos, end) : this.takePending(chunk.subarray(pos, end));
    if (end === chunk.length) {
      // The NUL is in the next chunk; account for the body until then.
      this.body = body;
      this.frameBytes += body.length;
      this.state = BODY_END;
      return end;
    }
    if (chunk[end] !== NUL) throw fail('malformed_frame', 'frame body is longer than its content-length');
    this.emit(events, body);
    return end + 1;
  }

  private readBodyToNul(chunk: Buffer, pos: number, events: ParseEvent[]): number {
    // Room left for body bytes plus the NUL.
    const room = this.limits.maxFrameBytes - this.frameBytes - this.pendingBytes;
    const nul = this.nulFrom(chunk, pos);
    if (nul !== -1 && nul - pos < room) {
      const piece = chunk.subarray(pos, nul);
      this.emit(events, this.pendingBytes === 0 ? piece : this.takePending(piece));
      return nul + 1;
    }
    if (chunk.length - pos >= room) throw tooLarge(this.limits.maxFrameBytes);
    (this.pending ??= []).push(chunk.subarray(pos));
    this.pendingBytes += chunk.length - pos;
    return chunk.length;
  }

  /** Joins the pending pieces with the final one, and clears them. */
  private takePending(last: Buffer): Buffer {
    const pieces = this.pending ?? [];
    pieces.push(last);
    const joined = Buffer.concat(pieces, this.pendingBytes + last.length);
    this.pending = null;
    this.pendingBytes = 0;
    return joined;
  }

  private emit(events: ParseEvent[], body: Buffer): void {
    const headers = this.headers === NO_HEADERS ? new Map<string, string>() : this.headers;
    events.push({ type: 'frame', frame: { command: this.command, headers, body } });
    this.resetFrame();
  }

  private resetFrame(): void {
    this.state = IDLE;
    this.command = '';
    this.verbatim = false;
    this.headers = NO_HEADERS as Map<string, string>;
    this.headerCount = 0;
    this.contentLength = -1;
    this.frameBytes = 0;
    this.pending = null;
    this.pendingBytes = 0;
    this.commandCR = false;
    this.body = EMPTY;
  }
}

const KNOWN_COMMANDS = [...CLIENT_COMMANDS, ...SERVER_COMMANDS];

/** The standard command spelled by buf[start, end), as its constant string (cheaper than decoding). */
function knownCommand(buf: Buffer, start: number, end: number): string | undefined {
  const length = end - start;
  for (const command of KNOWN_COMMANDS) {
    if (command.length !== length) continue;
    let i = 0;
    while (i < length && command.charCodeAt(i) === buf[start + i]) i++;
    if (i === length) return command;
  }
  return undefined;
}

const DIGITS = /^[0-9]+$/;

function parseContentLength(value: string, maxFrameBytes: number): number {
  const length = DIGITS.test(value) ? Number(value) : NaN;
  if (!(length <= maxFrameBytes)) {
    throw fail('invalid_content_length', `content-length must be a decimal integer from 0 to ${maxFrameBytes}`);
  }
  return length;
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (ArrayBuffer.isView(chunk)) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return Buffer.from(chunk);
  throw fail('malformed_frame', 'input must be a Buffer or a string');
}

function fail(reason: StompParseErrorReason, message: string): StompParseError {
  return new StompParseError(reason, message);
}

function tooLong(max: number): StompParseError {
  return fail('header_too_long', `command or header line longer than ${max} bytes`);
}

function tooLarge(max: number): StompParseError {
  return fail('frame_too_large', `frame larger than ${max} bytes`);
}
