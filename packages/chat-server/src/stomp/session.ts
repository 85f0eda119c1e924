import { bearerToken, ChorusError, isChorusError, validateMessageText, type Actor } from '@chorus/core';
import { CloseCodes, type Transport } from '../gateway/transport.js';
import { ownString } from '../util/own-string.js';
import { TokenBucket } from '../util/token-bucket.js';
import { encodeFrame, FrameParser, HEARTBEAT_EOL, StompParseError, type ParseEvent, type StompFrame } from './codec/index.js';
import { UNREAD_QUEUE } from '../fanout/unread-tracker.js';
import { parseDestination, roomTopicDestination, USER_ERRORS_QUEUE } from './destinations.js';
import { negotiateHeartbeat, parseHeartbeatHeader } from './heartbeat.js';
import { RoomSubscription } from './room-subscription.js';
import { SubscriptionTable } from './subscription-table.js';
import { readSendBody, readSendText } from './send-body.js';
import type { SessionContext } from './session-context.js';

type State = 'awaiting-connect' | 'connected' | 'closed';

interface ActiveSubscription {
  /** The room a room, presence or typing subscription belongs to. */
  readonly roomId?: string;
  remove(): void;
}

/** Frames queued behind a slow one (a SEND waiting for the store) before the client is cut off. */
const MAX_QUEUED_FRAMES = 256;
/** Most pipelined SENDs stored in one statement. */
const MAX_SEND_BATCH = 64;
const SUPPORTED_VERSIONS = ['1.2', '1.1', '1.0'];

let nextSessionId = 1;

/**
 * One client's STOMP conversation, independent of the transport under it.
 * Frames are handled strictly in arrival order (a SEND's RECEIPT precedes
 * anything sent after it), heart-beats are negotiated and enforced both ways,
 * and every refusal reaches the client: as a MESSAGE on /user/queue/errors when
 * it subscribed there (the connection stays open), otherwise as an ERROR frame
 * after which the connection is closed, as the spec requires.
 */
export class StompSession {
  readonly id = nextSessionId++;
  #state: State = 'awaiting-connect';
  readonly #parser: FrameParser;
  readonly #queue: StompFrame[] = [];
  #pumping = false;
  #closeWhenIdle: { code: number; reason: string } | null = null;
  /** Set when the parser met a protocol violation; the ERROR goes out once earlier frames are handled. */
  #protocolFailure: string | null = null;
  #user: Actor | null = null;
  readonly #subscriptions = new SubscriptionTable<ActiveSubscription>();
  #errorsSubscriptionId: string | null = null;
  /** Open transactions, created by the first BEGIN (few clients use them). */
  #transactions: Map<string, StompFrame[]> | null = null;
  #sendBucket: TokenBucket | null = null;
  #userSendBucket: TokenBucket | null = null;
  #subscribeBucket: TokenBucket | null = null;
  #userSubscribeBucket: TokenBucket | null = null;
  #typingBucket: TokenBucket | null = null;
  #sentSinceBeat = false;
  #lastReceivedAt = Date.now();
  #sendEveryMs = 0;
  #expectEveryMs = 0;
  #nextBeatAt = 0;
  #connectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly ctx: SessionContext,
  ) {
    this.#parser = new FrameParser(ctx.parserLimits);
    // A socket that never sends CONNECT must not hold resources forever.
    this.#connectTimer = setTimeout(() => this.#fatal('CONNECT expected within 10 seconds', CloseCodes.policyViolation), 10_000);
    this.#connectTimer.unref();
  }

  /** Created on the first SEND: most connections only listen. */
  get #ownSendBucket(): TokenBucket {
    const { limits } = this.ctx.config;
    return (this.#sendBucket ??= new TokenBucket(limits.sendRatePerSecond, limits.sendBurst));
  }

  get transportKind(): Transport['kind'] {
    return this.transport.kind;
  }

  get user(): Actor | null {
    return this.#user;
  }

  get subscriptionCount(): number {
    return this.#subscriptions.size;
  }

  /** Bytes (or a string, for SockJS) received from the client. */
  receive(chunk: Buffer | string): void {
    if (this.#state === 'closed' || this.#protocolFailure !== null) return;
    this.#lastReceivedAt = Date.now();
    let events: readonly ParseEvent[];
    try {
      events = this.#parser.push(chunk);
    } catch (err) {
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
      this.#queue.push(event.frame);
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
    for (const sub of this.#subscriptions.values()) sub.remove();
    this.ctx.metrics.subscriptions.dec(this.#subscriptions.size);
    this.#subscriptions.clear();
    this.#queue.length = 0;
    if (this.#user) {
      this.ctx.sendLimiter.release(this.#user.id);
      this.ctx.typingLimiter.release(this.#user.id);
      this.ctx.subscribeLimiter.release(this.#user.id);
    }
    this.ctx.onClosed(this);
  }

  /**
   * Closes the session from the server side (drain, shutdown). A frame being
   * handled (a SEND waiting for the store) finishes and gets its RECEIPT first;
   * frames queued behind it are dropped unacknowledged, so the client resends them.
   */
  close(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    this.#queue.length = 0;
    if (this.#pumping) {
      this.#closeWhenIdle = { code, reason };
      return;
    }
    this.transport.close(code, reason);
    this.closed();
  }

  /**
   * Writes a frame, enforcing the send-buffer bound (the slow-consumer rule).
   * `exempt` frames (a `since` replay, bounded by REPLAY_LIMIT) skip the check.
   */
  write(frame: Buffer, exempt = false): void {
    if (this.#state === 'closed') return;
    const transport = this.transport;
    if (!exempt && transport.bufferedAmount > this.ctx.config.limits.sendBufferBytes) {
      this.ctx.metrics.slowConsumerDisconnects.inc();
      this.ctx.logger.info({ session: this.id, user: this.#user?.id, buffered: transport.bufferedAmount }, 'slow consumer disconnected');
      transport.close(CloseCodes.slowConsumer, 'slow consumer: send buffer limit exceeded');
      // A client that does not read will not read our close frame either.
      const kill = setTimeout(() => transport.terminate(), 2000);
      kill.unref();
      this.closed();
      return;
    }
    this.#sentSinceBeat = true;
    transport.send(frame);
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
          if (await this.#sendPipelined(frame)) continue;
        }
        try {
          await this.#handle(frame);
        } catch (err) {
          this.#refuse(frame, err);
        }
      }
    } finally {
      this.#pumping = false;
      // Emptying by length releases the array's backing store (shift() keeps it); an idle
      // connection then holds no queue capacity.
      if (this.#queue.length === 0) this.#queue.length = 0;
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
        return this.#onSend(frame);
      case 'SUBSCRIBE':
        return this.#onSubscribe(frame);
      case 'UNSUBSCRIBE':
        return this.#onUnsubscribe(frame);
      case 'BEGIN':
      case 'COMMIT':
      case 'ABORT':
        return this.#onTransaction(frame);
      case 'DISCONNECT':
        this.#receipt(frame);
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
    const accepted = (frame.headers.get('accept-version') ?? '1.0').split(',').map((v) => v.trim());
    const version = SUPPORTED_VERSIONS.find((v) => accepted.includes(v));
    if (!version) {
      this.#fatal(`unsupported STOMP version; this server speaks ${SUPPORTED_VERSIONS.join(',')}`, CloseCodes.protocolError, {
        version: SUPPORTED_VERSIONS.join(','),
      });
      return;
    }
    const heartbeat = parseHeartbeatHeader(frame.headers.get('heart-beat'));
    if (!heartbeat) {
      this.#fatal('invalid heart-beat header: expected "cx,cy" in milliseconds', CloseCodes.protocolError);
      return;
    }
    const token = bearerToken(frame.headers.get('authorization') ?? frame.headers.get('Authorization')) ?? frame.headers.get('passcode');
    if (!token) {
      this.ctx.metrics.stompErrors.inc({ code: 'unauthorized' });
      this.#fatal('authentication required: send "Authorization: Bearer <token>" (or the token as passcode)', CloseCodes.policyViolation);
      return;
    }
    let claims;
    try {
      claims = await this.ctx.tokens.verify(token);
    } catch (err) {
      const code = isChorusError(err) ? err.code : 'unauthorized';
      this.ctx.metrics.stompErrors.inc({ code });
      this.#fatal(code === 'token_expired' ? 'token expired' : 'invalid token', CloseCodes.policyViolation);
      return;
    }
    if (this.#state === 'closed') return;
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#user = { id: claims.userId, username: claims.username };
    const { limits } = this.ctx.config;
    this.#subscribeBucket = new TokenBucket(limits.subscribeRatePerSecond, limits.subscribeBurst);
    this.#userSendBucket = this.ctx.sendLimiter.acquire(claims.userId);
    this.#typingBucket = this.ctx.typingLimiter.acquire(claims.userId);
    this.#userSubscribeBucket = this.ctx.subscribeLimiter.acquire(claims.userId);
    this.#state = 'connected';

    const plan = negotiateHeartbeat(heartbeat, this.ctx.config.heartbeat.serverMs, this.ctx.config.heartbeat.clientMs);
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
    this.#sendEveryMs = plan.sendEveryMs;
    this.#expectEveryMs = plan.expectEveryMs;
    if (plan.sendEveryMs > 0 || plan.expectEveryMs > 0) {
      this.#nextBeatAt = Date.now() + plan.sendEveryMs;
      const shortest = Math.min(plan.sendEveryMs || Infinity, plan.expectEveryMs || Infinity);
      this.ctx.heartbeats.add(this, shortest);
    }
  }

  /** Called by the process-wide HeartbeatScheduler. */
  heartbeatTick(now: number): void {
    if (this.#state === 'closed') return;
    if (this.#sendEveryMs > 0 && now >= this.#nextBeatAt) {
      if (!this.#sentSinceBeat) this.write(HEARTBEAT_EOL);
      this.#sentSinceBeat = false;
      this.#nextBeatAt = now + this.#sendEveryMs;
    }
    // The spec allows for network latency; we allow two missed beats.
    if (this.#expectEveryMs > 0 && now - this.#lastReceivedAt > this.#expectEveryMs * 2) {
      this.ctx.logger.info({ session: this.id, user: this.#user?.id }, 'heart-beat timeout');
      this.transport.close(CloseCodes.heartbeatTimeout, 'no heart-beat from client');
      const kill = setTimeout(() => this.transport.terminate(), 2000);
      kill.unref();
      this.closed();
    }
  }

  async #onSend(frame: StompFrame): Promise<void> {
    const destination = requireHeader(frame, 'destination');
    const tx = frame.headers.get('transaction');
    if (tx !== undefined) {
      const buffered = this.#transactions?.get(tx);
      if (!buffered) throw new ChorusError('bad_request', `unknown transaction ${tx}`);
      buffered.push(frame);
      this.#receipt(frame);
      return;
    }
    await this.#deliverSend(frame, destination);
    this.#receipt(frame);
  }

  async #deliverSend(frame: StompFrame, destination: string): Promise<void> {
    const target = parseDestination(destination);
    if (target.kind === 'send-typing') return this.#sendTyping(target.roomId);
    if (target.kind !== 'send-room') {
      throw new ChorusError('not_found', `cannot SEND to ${destination}: use /app/rooms/<roomId> or /app/rooms/<roomId>/typing`);
    }
    const now = Date.now();
    if (!this.#ownSendBucket.take(now) || !this.#userSendBucket!.take(now)) {
      throw new ChorusError('rate_limited', 'sending too fast; slow down', {
        retryAfter: Math.max(this.#ownSendBucket.retryAfterSeconds(), this.#userSendBucket!.retryAfterSeconds(), 1),
      });
    }
    // Text, or text with attachment ids (a JSON body with "attachments").
    const content = readSendBody(frame.body, frame.headers.get('content-type'));
    await this.ctx.chat.send(this.#user!, target.roomId, content, 'stomp');
  }

  /**
   * Group commit: SENDs a client pipelined to the same room (no transaction) are
   * stored in one statement. Each still gets its RECEIPT in order. Frames are
   * taken only while they are valid and within the rate limits, so a refusal is
   * handled by the ordinary path at the same point in the stream as before.
   * Returns false when there was nothing to batch (the caller handles `first`).
   */
  async #sendPipelined(first: StompFrame): Promise<boolean> {
    const roomId = sendRoomOf(first)!;
    const destination = first.headers.get('destination');
    const frames: StompFrame[] = [];
    const texts: string[] = [];
    const take = (frame: StompFrame): boolean => {
      let text: string;
      try {
        // SENDs with attachments are not batched (readSendText refuses them): they take the ordinary path.
        text = validateMessageText(readSendText(frame.body, frame.headers.get('content-type')), this.ctx.chat.maxMessageLength);
      } catch {
        return false;
      }
      const now = Date.now();
      if (!this.#ownSendBucket.take(now)) return false;
      if (!this.#userSendBucket!.take(now)) return false;
      frames.push(frame);
      texts.push(text);
      return true;
    };
    if (!take(first)) return false;
    while (frames.length < MAX_SEND_BATCH && this.#queue.length > 0) {
      const next = this.#queue[0]!;
      if (sendRoomOf(next) !== roomId || next.headers.get('destination') !== destination || !take(next)) break;
      this.#queue.shift();
      this.ctx.metrics.framesReceived.inc({ command: next.command });
    }
    try {
      await this.ctx.chat.sendMany(this.#user!, roomId, texts, 'stomp');
    } catch (err) {
      for (const frame of frames) this.#refuse(frame, err);
      return true;
    }
    // Each RECEIPT is its own WebSocket message (some mobile STOMP clients read one frame
    // per message); the transport still writes them to the socket together.
    for (const frame of frames) {
      const receipt = frame.headers.get('receipt');
      if (receipt !== undefined) this.write(encodeFrame('RECEIPT', { 'receipt-id': receipt }));
    }
    return true;
  }

  /** Typing indicators: members only, rate limited per user, never stored. */
  async #sendTyping(roomId: string): Promise<void> {
    if (!this.#typingBucket!.take()) {
      throw new ChorusError('rate_limited', 'typing indicators too fast; send at most one per second', {
        retryAfter: Math.max(this.#typingBucket!.retryAfterSeconds(), 1),
      });
    }
    const user = this.#user!;
    await this.ctx.chat.requireMember(user, roomId);
    await this.ctx.roomEvents.publish({ type: 'typing', roomId, user: { id: user.id, username: user.username } });
  }

  async #onSubscribe(frame: StompFrame): Promise<void> {
    const id = requireHeader(frame, 'id');
    const destination = requireHeader(frame, 'destination');
    if (this.#subscriptions.has(id) || this.#errorsSubscriptionId === id) {
      throw new ChorusError('conflict', `subscription id ${id} is already in use`);
    }
    const ack = frame.headers.get('ack');
    if (ack !== undefined && ack !== 'auto') {
      throw new ChorusError('bad_request', `ack:${ack} is not supported: Chorus subscriptions are ack:auto`);
    }
    const now = Date.now();
    if (!this.#subscribeBucket!.take(now) || !this.#userSubscribeBucket!.take(now)) {
      throw new ChorusError('rate_limited', 'subscribing too fast; slow down', {
        retryAfter: Math.max(this.#subscribeBucket!.retryAfterSeconds(), this.#userSubscribeBucket!.retryAfterSeconds(), 1),
      });
    }
    const target = parseDestination(destination);
    switch (target.kind) {
      case 'user-queue': {
        if (target.queue === USER_ERRORS_QUEUE) {
          this.#errorsSubscriptionId = id;
          this.#receipt(frame);
          return;
        }
        if (target.queue !== UNREAD_QUEUE) {
          throw new ChorusError('not_found', `unknown destination ${destination}: user queues are /user/queue/errors and /user/queue/unread`);
        }
        const userId = this.#user!.id;
        const stopTracking = await this.ctx.unread.track(userId);
        let stopQueue: () => void;
        try {
          stopQueue = await this.ctx.userHub.subscribe(userId, target.queue, { subscriptionId: id, send: (data) => this.write(data) });
        } catch (err) {
          stopTracking();
          throw err;
        }
        this.#activate(frame, id, {
          remove: () => {
            stopQueue();
            stopTracking();
          },
        });
        return;
      }
      case 'room-presence':
      case 'room-typing': {
        await this.ctx.chat.requireMember(this.#user!, target.roomId);
        const type = target.kind === 'room-presence' ? 'presence' : 'typing';
        const remove = await this.ctx.roomEvents.subscribe(target.roomId, type, { subscriptionId: id, send: (data) => this.write(data) });
        this.#activate(frame, id, { remove, roomId: target.roomId });
        return;
      }
      case 'room': {
        const since = parseSince(frame.headers.get('since'));
        await this.ctx.chat.requireMember(this.#user!, target.roomId);
        // What the subscription keeps must not keep the frame's header text alive (see ownString).
        const roomId = this.ctx.hub.sharedRoomId(target.roomId);
        const subscription = new RoomSubscription(this, ownString(id), roomId, this.#user!);
        await subscription.join(this.ctx.hub, since);
        if (subscription.failure !== null) {
          subscription.remove();
          this.#refuse(frame, new ChorusError('unavailable', subscription.failure));
          return;
        }
        if (this.#state !== 'closed') {
          subscription.enterPresence(this.ctx.presence, ownString(`${this.ctx.processId}:${this.id}:${subscription.subscriptionId}`));
        }
        this.#activate(frame, subscription.subscriptionId, subscription);
        return;
      }
      default:
        throw new ChorusError(
          'not_found',
          `unknown destination ${destination}: subscribe to /topic/rooms/<roomId>[/presence|/typing] or /user/queue/errors|unread`,
        );
    }
  }

  /** Records a subscription that is in place, or undoes it when the session closed meanwhile. */
  #activate(frame: StompFrame, id: string, subscription: ActiveSubscription): void {
    if (this.#state === 'closed') {
      subscription.remove();
      return;
    }
    this.#subscriptions.set(id, subscription);
    this.ctx.metrics.subscriptions.inc();
    this.#receipt(frame);
  }

  /**
   * The user left the room (from any session or device): every subscription of
   * this session to the room, its presence or its typing ends, and the client is
   * told with a `forbidden` error for the room's destination.
   */
  revokeRoom(roomId: string): void {
    if (this.#state === 'closed') return;
    let ended = 0;
    for (const [id, sub] of [...this.#subscriptions]) {
      if (sub.roomId !== roomId) continue;
      this.#subscriptions.delete(id);
      sub.remove();
      ended++;
    }
    if (ended === 0) return;
    this.ctx.metrics.subscriptions.dec(ended);
    const destination = roomTopicDestination(roomId);
    const frame: StompFrame = { command: 'SUBSCRIBE', headers: new Map([['destination', destination]]), body: Buffer.alloc(0) };
    this.#refuse(frame, new ChorusError('forbidden', `you left room ${roomId}: its subscriptions ended`));
  }

  #onUnsubscribe(frame: StompFrame): void {
    const id = requireHeader(frame, 'id');
    if (this.#errorsSubscriptionId === id) {
      this.#errorsSubscriptionId = null;
      this.#receipt(frame);
      return;
    }
    const sub = this.#subscriptions.get(id);
    if (!sub) throw new ChorusError('not_found', `no subscription with id ${id}`);
    sub.remove();
    this.#subscriptions.delete(id);
    this.ctx.metrics.subscriptions.dec();
    this.#receipt(frame);
  }

  async #onTransaction(frame: StompFrame): Promise<void> {
    const tx = requireHeader(frame, 'transaction');
    if (frame.command === 'BEGIN') {
      const transactions = (this.#transactions ??= new Map());
      if (transactions.has(tx)) throw new ChorusError('conflict', `transaction ${tx} already started`);
      if (transactions.size >= 16) throw new ChorusError('bad_request', 'too many open transactions');
      transactions.set(tx, []);
      this.#receipt(frame);
      return;
    }
    const frames = this.#transactions?.get(tx);
    if (!frames) throw new ChorusError('bad_request', `unknown transaction ${tx}`);
    this.#transactions?.delete(tx);
    if (frame.command === 'COMMIT') {
      for (const send of frames) {
        try {
          await this.#deliverSend(send, send.headers.get('destination')!);
        } catch (err) {
          this.#refuse(send, err);
        }
      }
    }
    this.#receipt(frame);
  }

  #receipt(frame: StompFrame): void {
    const receipt = frame.headers.get('receipt');
    if (receipt !== undefined) this.write(encodeFrame('RECEIPT', { 'receipt-id': receipt }));
  }

  /**
   * A frame was refused. With a /user/queue/errors subscription the client gets a
   * MESSAGE there and stays connected; otherwise an ERROR frame closes the session.
   */
  #refuse(frame: StompFrame, err: unknown): void {
    if (this.#state === 'closed') return;
    const error = isChorusError(err) ? err : null;
    if (!error) this.ctx.logger.error({ err, session: this.id, command: frame.command }, 'unexpected error handling frame');
    const code = error?.code ?? 'internal';
    const message = error?.message ?? 'internal error';
    this.ctx.metrics.stompErrors.inc({ code });
    const receipt = frame.headers.get('receipt');
    const destination = frame.headers.get('destination');
    if (this.#errorsSubscriptionId !== null) {
      const body = JSON.stringify({
        code,
        message,
        command: frame.command,
        ...(receipt !== undefined ? { receiptId: receipt } : {}),
        ...(destination !== undefined ? { destination } : {}),
        ...(error?.retryAfter !== undefined ? { retryAfter: error.retryAfter } : {}),
      });
      const headers: Record<string, string> = {
        destination: `/user/queue/${USER_ERRORS_QUEUE}`,
        subscription: this.#errorsSubscriptionId,
        'message-id': `error-${this.id}-${Date.now()}`,
        'content-type': 'application/json',
        'error-code': code,
      };
      if (receipt !== undefined) headers['receipt-id'] = receipt;
      this.write(encodeFrame('MESSAGE', headers, body));
      return;
    }
    const headers: Record<string, string> = { 'error-code': code };
    if (receipt !== undefined) headers['receipt-id'] = receipt;
    this.#fatal(message, CloseCodes.policyViolation, headers);
  }

  /** Sends ERROR (message header + text body) and closes, as the spec requires. */
  #fatal(message: string, closeCode: number, extraHeaders: Record<string, string> = {}): void {
    if (this.#state === 'closed') return;
    this.write(encodeFrame('ERROR', { message, 'content-type': 'text/plain', ...extraHeaders }, message));
    this.transport.close(closeCode, message.slice(0, 120));
    this.closed();
  }
}

/** The room of a plain (non-transactional) SEND to /app/rooms/<id>, else undefined. */
function sendRoomOf(frame: StompFrame): string | undefined {
  if (frame.command !== 'SEND' || frame.headers.has('transaction')) return undefined;
  const destination = frame.headers.get('destination');
  if (destination === undefined) return undefined;
  const target = parseDestination(destination);
  return target.kind === 'send-room' ? target.roomId : undefined;
}

function requireHeader(frame: StompFrame, name: string): string {
  const value = frame.headers.get(name);
  if (value === undefined || value === '') throw new ChorusError('bad_request', `${frame.command} requires a ${name} header`);
  return value;
}

function parseSince(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new ChorusError('bad_request', 'since must be a non-negative integer seq');
  return Number(value);
}
