import { ChorusError, type Actor } from '@chorus/core';
import { encodeFrame, FrameParser, HEARTBEAT_EOL, StompParseError, type ParseEvent, type ParserLimits, type StompFrame, type StompVersion } from '../protocol/codec/index.js';
import { CloseCodes } from '../protocol/close-codes.js';
import { describeRefusal, refusalErrorHeaders, renderErrorFrame, renderErrorMessage } from './error-renderer.js';
import { negotiateConnect } from './connect.js';
import { negotiateHeartbeat } from './heartbeat.js';
import { withOwnBody } from './own-frame.js';
import { ReplayBudget } from './replay-budget.js';
import { SendPath, sendRoomOf } from './send-path.js';
import type { SessionContext } from './session-context.js';
import { SessionLimits } from './session-limits.js';
import { SessionSubscriptions } from './session-subscriptions.js';
import { closeThenTerminate, type Transport } from './transport.js';

type State = 'awaiting-connect' | 'connected' | 'closed';

/** Frames queued behind a slow one (a SEND waiting for the store) before the client is cut off. */
const MAX_QUEUED_FRAMES = 256;

let nextSessionId = 1;

/** The queue of a session with no frame waiting: shared, so an idle connection holds no array (frozen: never pushed to). */
const NO_FRAMES: StompFrame[] = Object.freeze([]) as unknown as StompFrame[];

/** A chunk that is one heart-beat EOL (LF or CR LF): between frames, the parser would only skip it. */
function isHeartbeat(chunk: Buffer | string): boolean {
  if (typeof chunk === 'string') return chunk === '\n' || chunk === '\r\n';
  return chunk.length === 1 ? chunk[0] === 0x0a : chunk.length === 2 && chunk[0] === 0x0d && chunk[1] === 0x0a;
}

/**
 * One parser per server (its parser limits) for every session whose input sits between frames,
 * as an idle connection's nearly always does: a session owns a parser only while a frame of its
 * own is incomplete, so an idle connection holds none (~150 B less each).
 */
const betweenFramesParsers = new WeakMap<Readonly<ParserLimits>, FrameParser>();

function parserBetweenFrames(limits: Readonly<ParserLimits>): FrameParser {
  let parser = betweenFramesParsers.get(limits);
  if (!parser) {
    parser = new FrameParser(limits);
    betweenFramesParsers.set(limits, parser);
  }
  return parser;
}

/**
 * One client's STOMP conversation, independent of the transport under it: the state
 * machine (awaiting CONNECT → connected → closed) that pumps received frames in order
 * and hands them to its collaborators (SendPath, SessionSubscriptions, SessionLimits,
 * the error renderer).
 * Frames are handled strictly in arrival order (a SEND's RECEIPT precedes
 * anything sent after it), heart-beats are negotiated and enforced both ways,
 * and every refusal reaches the client: as a MESSAGE on /user/queue/errors when
 * it subscribed there (the connection stays open), otherwise as an ERROR frame
 * after which the connection is closed, as the spec requires.
 */
export class StompSession {
  readonly id = nextSessionId++;
  #state: State = 'awaiting-connect';
  /** The negotiated STOMP version: frames this session encodes escape headers as it defines. */
  #version: StompVersion = '1.2';
  /** This session's own parser, only while a frame is incomplete (see parserBetweenFrames). */
  #parser: FrameParser | null = null;
  /** Frames received and not yet handled (NO_FRAMES while there are none). */
  #queue: StompFrame[] = NO_FRAMES;
  #pumping = false;
  #closeWhenIdle: { code: number; reason: string } | null = null;
  /** Set when the parser met a protocol violation; the ERROR goes out once earlier frames are handled. */
  #protocolFailure: string | null = null;
  #user: Actor | null = null;
  /** The token generation of the CONNECT token (see TokenRevocations). */
  #tokenGeneration = 0;
  /** Set on CONNECT, with the user. */
  #limits: SessionLimits | null = null;
  #subscriptions: SessionSubscriptions | null = null;
  /** Made on the first SEND or BEGIN. */
  #sendPath: SendPath | null = null;
  /** Created by the first replayed frame (most connections never replay). */
  #replayBudget: ReplayBudget | null = null;
  /** When the last frame or beat went out, on the heart-beat scheduler's clock. */
  #lastWriteAt = 0;
  /** The HeartbeatScheduler's wheel slot holding this session (-1: none). */
  heartbeatSlot = -1;
  /** When bytes last came from the client, on the heart-beat scheduler's clock. */
  #lastReceivedAt: number;
  /** Silence after which a beat goes out (the negotiated interval less a margin); 0 = none. */
  #beatAfterMs = 0;
  /**
   * Taken off the silence before this session's first beat only, at random: connections made
   * together (a reconnect storm after a deploy) would otherwise beat together for as long as they
   * idle, every beat interval a burst of one write per connection in a tick or two.
   */
  #firstBeatEarlyMs = 0;
  #expectEveryMs = 0;
  #connectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly ctx: SessionContext,
  ) {
    this.#lastReceivedAt = ctx.heartbeats.clock();
    // A socket that never sends CONNECT must not hold resources forever.
    this.#connectTimer = setTimeout(() => this.#fatal('CONNECT expected within 10 seconds', CloseCodes.policyViolation), 10_000);
    this.#connectTimer.unref();
  }

  get transportKind(): Transport['kind'] {
    return this.transport.kind;
  }

  get user(): Actor | null {
    return this.#user;
  }

  get subscriptionCount(): number {
    return this.#subscriptions?.size ?? 0;
  }

  /** Whether the session has ended (its collaborators check it after awaiting). */
  get isClosed(): boolean {
    return this.#state === 'closed';
  }

  /** The negotiated STOMP version (1.2 until CONNECTED): collaborators encode frames with it. */
  get version(): StompVersion {
    return this.#version;
  }

  get #sends(): SendPath {
    return (this.#sendPath ??= new SendPath(this, this.ctx, this.#user!, this.#limits!));
  }

  /** Frames received and not yet handled, oldest first (SendPath takes pipelined SENDs from them). */
  get queuedFrames(): StompFrame[] {
    return this.#queue;
  }

  /** Bytes (or a string, for SockJS) received from the client. */
  receive(chunk: Buffer | string): void {
    if (this.#state === 'closed' || this.#protocolFailure !== null) return;
    this.#lastReceivedAt = this.ctx.heartbeats.clock();
    // Most of what an idle connection receives is the client's heart-beat, a message of its own.
    if (this.#parser === null && isHeartbeat(chunk)) return;
    let events: readonly ParseEvent[];
    const limits = this.ctx.parserLimits;
    const parser = this.#parser ?? parserBetweenFrames(limits);
    parser.version = this.#version;
    try {
      events = parser.push(chunk);
      // A frame left incomplete keeps its parser with this session; between frames it holds none.
      this.#parser = parser.betweenFrames ? null : parser;
      if (this.#parser !== null && betweenFramesParsers.get(limits) === parser) betweenFramesParsers.delete(limits);
    } catch (err) {
      // A parser that failed stays failed: it is nobody's to share any more (this session never parses again).
      if (betweenFramesParsers.get(limits) === parser) betweenFramesParsers.delete(limits);
      if (!(err instanceof StompParseError)) throw err;
      this.ctx.metrics.stompErrors.inc({ code: err.reason });
      // Frames that arrived whole before the violation are handled (stored or
      // refused, with their receipts) before the ERROR, whatever the chunking.
      this.#protocolFailure = `malformed frame: ${err.message}`;
      this.#enqueue(err.precedingEvents);
      if ((this.#state as State) !== 'closed' && !this.#pumping && this.#queue.length === 0) this.#failProtocol();
      return;
    }
    this.#enqueue(events);
  }

  #enqueue(events: readonly ParseEvent[]): void {
    for (const event of events) {
      if (event.type !== 'frame') continue;
      if (this.#queue.length >= MAX_QUEUED_FRAMES) {
        this.#fatal('too many frames in flight; wait for receipts', CloseCodes.policyViolation);
        return;
      }
      if (this.#queue === NO_FRAMES) this.#queue = [];
      // A frame that waits behind a slow one must not keep its whole WebSocket message alive.
      this.#queue.push(this.#pumping ? withOwnBody(event.frame) : event.frame);
    }
    if (!this.#pumping && this.#queue.length > 0) void this.#pump();
  }

  /** The transport failed (a reset connection, an invalid WebSocket frame); `closed` follows. */
  transportError(err: Error): void {
    this.ctx.logger.debug({ err, session: this.id }, 'transport error');
  }

  /** The transport closed (client went away, or we closed it). */
  closed(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#connectTimer);
    this.ctx.heartbeats.remove(this);
    this.#subscriptions?.removeAll();
    this.#sendPath?.discard();
    this.#queue = NO_FRAMES;
    this.#limits?.release();
    this.ctx.onClosed(this);
  }

  /**
   * Closes the session from the server side (drain, shutdown). A frame being
   * handled (a SEND waiting for the store) finishes and gets its RECEIPT first;
   * frames queued behind it are dropped unacknowledged, so the client resends them.
   */
  close(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    this.#queue = NO_FRAMES;
    if (this.#pumping) {
      this.#closeWhenIdle = { code, reason };
      return;
    }
    this.transport.close(code, reason);
    this.closed();
  }

  /**
   * Writes a frame, enforcing the send-buffer bound (the slow-consumer rule).
   * `replay` frames (a `since` replay) skip the check within the connection's ReplayBudget.
   */
  write(frame: Buffer, replay = false): void {
    if (this.#state === 'closed') return;
    const transport = this.transport;
    const buffered = transport.bufferedAmount;
    if ((replay || buffered > this.ctx.config.limits.sendBufferBytes) && !this.#withinReplayBudget(frame.length, buffered, replay)) {
      this.ctx.metrics.slowConsumerDisconnects.inc();
      this.ctx.logger.info({ session: this.id, user: this.#user?.id, buffered }, 'slow consumer disconnected');
      closeThenTerminate(transport, CloseCodes.slowConsumer, 'slow consumer: send buffer limit exceeded');
      this.closed();
      return;
    }
    this.#lastWriteAt = this.ctx.heartbeats.now;
    transport.send(frame);
  }

  /** Called for replayed frames, and for any frame once the buffer is past SEND_BUFFER_BYTES. */
  #withinReplayBudget(size: number, buffered: number, replay: boolean): boolean {
    if (!replay && this.#replayBudget === null) return false;
    const { limits } = this.ctx.config;
    this.#replayBudget ??= new ReplayBudget(limits.sendBufferBytes, limits.replayBufferBytes);
    return this.#replayBudget.allows(size, buffered, replay);
  }

  #failProtocol(): void {
    this.#fatal(this.#protocolFailure ?? 'malformed frame', CloseCodes.protocolError);
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#queue.length > 0 && this.#state !== 'closed') {
        const frame = this.#queue.shift()!;
        this.ctx.metrics.framesReceived.inc({ command: frame.command });
        if (this.#state === 'connected' && this.#queue.length > 0 && sendRoomOf(frame) !== undefined) {
          if (await this.#sends.sendPipelined(frame)) continue;
        }
        try {
          await this.#handle(frame);
        } catch (err) {
          this.refuse(frame, err);
        }
      }
    } finally {
      this.#pumping = false;
      // An idle connection holds no queue array (shift() would keep the emptied one's capacity).
      if (this.#queue.length === 0) this.#queue = NO_FRAMES;
    }
    if (this.#protocolFailure !== null && this.#state !== 'closed') {
      this.#failProtocol();
      return;
    }
    const pendingClose = this.#closeWhenIdle;
    if (pendingClose && this.#state !== 'closed') {
      this.transport.close(pendingClose.code, pendingClose.reason);
      this.closed();
    }
  }

  async #handle(frame: StompFrame): Promise<void> {
    if (this.#state === 'awaiting-connect') {
      if (frame.command !== 'CONNECT' && frame.command !== 'STOMP') {
        this.#fatal(`expected CONNECT, got ${frame.command}`, CloseCodes.protocolError);
        return;
      }
      await this.#connect(frame);
      return;
    }
    switch (frame.command) {
      case 'SEND':
        return this.#sends.onSend(frame);
      case 'SUBSCRIBE':
        return this.#subscriptions!.subscribe(frame);
      case 'UNSUBSCRIBE':
        return this.#subscriptions!.unsubscribe(frame);
      case 'BEGIN':
      case 'COMMIT':
      case 'ABORT':
        return this.#sends.onTransaction(frame);
      case 'DISCONNECT':
        this.receipt(frame);
        this.transport.close(CloseCodes.normal, 'client disconnected');
        this.closed();
        return;
      case 'ACK':
      case 'NACK':
        throw new ChorusError('bad_request', `${frame.command} is not supported: Chorus subscriptions are ack:auto`);
      case 'CONNECT':
      case 'STOMP':
        this.#fatal('already connected', CloseCodes.protocolError);
        return;
      default:
        this.#fatal(`unknown command ${frame.command}`, CloseCodes.protocolError);
    }
  }

  async #connect(frame: StompFrame): Promise<void> {
    const outcome = await negotiateConnect(frame, this.ctx);
    if (!outcome.accepted) {
      this.#fatal(outcome.message, outcome.closeCode, outcome.headers);
      return;
    }
    const { version, heartbeat, claims } = outcome;
    if (this.#state === 'closed') return;
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    const user: Actor = { id: claims.userId, username: claims.username };
    this.#user = user;
    this.#tokenGeneration = claims.generation;
    this.#limits = new SessionLimits(this.ctx, user.id);
    this.#subscriptions = new SessionSubscriptions(this, this.ctx, user, this.#limits);
    this.#state = 'connected';

    const plan = negotiateHeartbeat(heartbeat, this.ctx.config.heartbeat.serverMs, this.ctx.config.heartbeat.clientMs);
    this.#beatAfterMs = plan.sendEveryMs > 0 ? this.ctx.heartbeats.beatAfter(plan.sendEveryMs) : 0;
    this.#firstBeatEarlyMs = Math.floor(Math.random() * this.#beatAfterMs);
    this.#expectEveryMs = plan.expectEveryMs;
    if (plan.sendEveryMs > 0 || plan.expectEveryMs > 0) {
      // Joined before CONNECTED goes out, so that frame is stamped on a fresh scheduler clock.
      const shortest = Math.min(plan.sendEveryMs || Infinity, plan.expectEveryMs || Infinity);
      this.ctx.heartbeats.add(this, shortest);
    }
    this.write(
      encodeFrame('CONNECTED', {
        version,
        'heart-beat': plan.header,
        server: this.ctx.serverName,
        session: String(this.id),
        'user-name': claims.username,
        'user-id': claims.userId,
      }),
    );
    // Header escaping follows the negotiated version from here on (CONNECT itself is never escaped).
    this.#version = version;
  }

  /** Called by the process-wide HeartbeatScheduler; returns when the session next needs a look. */
  heartbeatTick(now: number): number | null {
    if (this.#state === 'closed') return null;
    // Any write resets the silence, so a beat goes out only on an otherwise quiet connection.
    if (this.#beatAfterMs > 0 && now - this.#lastWriteAt >= this.#beatAfterMs - this.#firstBeatEarlyMs) {
      this.#firstBeatEarlyMs = 0;
      this.write(HEARTBEAT_EOL);
    }
    // The spec allows for network latency; we allow two missed beats.
    const silentUntil = this.#lastReceivedAt + this.#expectEveryMs * 2;
    if (this.#expectEveryMs > 0 && now > silentUntil) {
      this.ctx.logger.info({ session: this.id, user: this.#user?.id }, 'heart-beat timeout');
      closeThenTerminate(this.transport, CloseCodes.heartbeatTimeout, 'no heart-beat from client');
      this.closed();
    }
    if ((this.#state as State) === 'closed') return null;
    const beatAt = this.#beatAfterMs > 0 ? this.#lastWriteAt + this.#beatAfterMs - this.#firstBeatEarlyMs : Infinity;
    return Math.min(beatAt, this.#expectEveryMs > 0 ? silentUntil + 1 : Infinity);
  }

  /** The user left the room (from any session or device): see SessionSubscriptions.revokeRoom. */
  revokeRoom(roomId: string): void {
    if (this.#state === 'closed') return;
    this.#subscriptions?.revokeRoom(roomId);
  }

  receipt(frame: StompFrame): void {
    const receipt = frame.headers.get('receipt');
    if (receipt !== undefined) this.write(encodeFrame('RECEIPT', { 'receipt-id': receipt }, undefined, this.#version));
  }

  /**
   * A frame was refused. With a /user/queue/errors subscription the client gets a
   * MESSAGE there and stays connected; otherwise an ERROR frame closes the session.
   */
  refuse(frame: StompFrame, err: unknown): void {
    if (this.#state === 'closed') return;
    const refusal = describeRefusal(err);
    if (!refusal.error) this.ctx.logger.error({ err, session: this.id, command: frame.command }, 'unexpected error handling frame');
    this.ctx.metrics.stompErrors.inc({ code: refusal.code });
    const errorsSubscriptionId = this.#subscriptions?.errorsSubscriptionId ?? null;
    if (errorsSubscriptionId !== null) {
      this.write(renderErrorMessage(frame, refusal, errorsSubscriptionId, this.id, this.#version));
      return;
    }
    this.#fatal(refusal.message, CloseCodes.policyViolation, refusalErrorHeaders(frame, refusal));
  }

  /** The token generation this session connected with. */
  get tokenGeneration(): number {
    return this.#tokenGeneration;
  }

  /** The session's token was revoked (log out everywhere, password change, deleted account): ERROR and close (1008). */
  revokeAuth(message: string): void {
    this.#fatal(message, CloseCodes.policyViolation);
  }

  /** Sends ERROR (message header + text body) and closes, as the spec requires. */
  #fatal(message: string, closeCode: number, extraHeaders: Record<string, string> = {}): void {
    if (this.#state === 'closed') return;
    this.write(renderErrorFrame(message, extraHeaders, this.#version));
    this.transport.close(closeCode, message.slice(0, 120));
    this.closed();
  }
}
