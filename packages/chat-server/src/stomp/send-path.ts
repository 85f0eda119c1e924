import { ChorusError, validateMessageText, type Actor } from '@chorus/core';
import type { StompFrame } from '../protocol/codec/index.js';
import { parseDestination } from '../protocol/destinations.js';
import { requireHeader } from './frame-headers.js';
import { readLifecycleBody, readReactionBody, readSendBody, readSendText } from './send-body.js';
import type { SessionContext } from './session-context.js';
import type { SessionLimits } from './session-limits.js';
import { TransactionBuffer } from './transaction-buffer.js';

/** Most pipelined SENDs stored in one statement. */
const MAX_SEND_BATCH = 64;

/** What the send path needs from its session. */
export interface SendPathOwner {
  /** The session's received frames not yet handled, which pipelined SENDs are taken from. */
  readonly queuedFrames: StompFrame[];
  receipt(frame: StompFrame): void;
  refuse(frame: StompFrame, err: unknown): void;
}

/**
 * A connected session's SENDs: messages (one at a time, or pipelined ones stored together),
 * typing indicators, and the transactions that hold SENDs until COMMIT.
 * Made on the first SEND or BEGIN: most connections only listen.
 */
export class SendPath {
  /** Open transactions, created by the first BEGIN (few clients use them). */
  #transactions: TransactionBuffer | null = null;

  constructor(
    private readonly session: SendPathOwner,
    private readonly ctx: SessionContext,
    private readonly user: Actor,
    private readonly limits: SessionLimits,
  ) {}

  async onSend(frame: StompFrame): Promise<void> {
    const destination = requireHeader(frame, 'destination');
    const tx = frame.headers.get('transaction');
    if (tx !== undefined) {
      if (!this.#transactions?.has(tx)) throw new ChorusError('bad_request', `unknown transaction ${tx}`);
      // A buffered SEND is paid for now, not at COMMIT: a transaction cannot hoard a burst.
      this.limits.takeSend();
      this.#transactions.add(tx, frame);
      this.session.receipt(frame);
      return;
    }
    await this.#deliverSend(frame, destination);
    this.session.receipt(frame);
  }

  /** `paid`: the SEND's rate-limit tokens were taken when it was buffered in a transaction. */
  async #deliverSend(frame: StompFrame, destination: string, paid = false): Promise<void> {
    const target = parseDestination(destination);
    if (target.kind === 'send-typing') return this.#sendTyping(target.roomId);
    if (target.kind !== 'send-room' && target.kind !== 'send-edit' && target.kind !== 'send-delete' && target.kind !== 'send-react') {
      throw new ChorusError('not_found', `cannot SEND to ${destination}: use /app/rooms/<roomId>, /app/rooms/<roomId>/typing, /edit, /delete or /react`);
    }
    // Reactions pay from the same send budget as messages: they are room events too.
    if (!paid) this.limits.takeSend();
    if (target.kind === 'send-react') {
      const change = readReactionBody(frame.body);
      await this.ctx.chat.react(this.user, target.roomId, change.messageId, change.emoji, change.remove, 'stomp');
      return;
    }
    if (target.kind !== 'send-room') {
      // Edits and deletes: the same rules and path as PATCH/DELETE over REST (ChatService).
      const change = readLifecycleBody(frame.body, target.kind === 'send-edit');
      if (target.kind === 'send-edit') await this.ctx.chat.editMessage(this.user, target.roomId, change.messageId, change.text, 'stomp');
      else await this.ctx.chat.deleteMessage(this.user, target.roomId, change.messageId, 'stomp');
      return;
    }
    // Text, or text with attachment ids (a JSON body with "attachments").
    const content = readSendBody(frame.body, frame.headers.get('content-type'));
    await this.ctx.chat.send(this.user, target.roomId, content, 'stomp');
  }

  /**
   * Group commit: SENDs a client pipelined to the same room (no transaction) are
   * stored in one statement. Each still gets its RECEIPT in order. Frames are
   * taken only while they are valid and within the rate limits, so a refusal is
   * handled by the ordinary path at the same point in the stream as before.
   * Returns false when there was nothing to batch (the caller handles `first`).
   */
  async sendPipelined(first: StompFrame): Promise<boolean> {
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
      if (!this.limits.trySend(Date.now())) return false;
      frames.push(frame);
      texts.push(text);
      return true;
    };
    if (!take(first)) return false;
    const queue = this.session.queuedFrames;
    while (frames.length < MAX_SEND_BATCH && queue.length > 0) {
      const next = queue[0]!;
      if (sendRoomOf(next) !== roomId || next.headers.get('destination') !== destination || !take(next)) break;
      queue.shift();
      this.ctx.metrics.framesReceived.inc({ command: next.command });
    }
    try {
      await this.ctx.chat.sendMany(this.user, roomId, texts, 'stomp');
    } catch (err) {
      for (const frame of frames) this.session.refuse(frame, err);
      return true;
    }
    // Each RECEIPT is its own WebSocket message (some mobile STOMP clients read one frame
    // per message); the transport still writes them to the socket together.
    for (const frame of frames) this.session.receipt(frame);
    return true;
  }

  /** Typing indicators: members only, rate limited per user, never stored. */
  async #sendTyping(roomId: string): Promise<void> {
    this.limits.takeTyping();
    const user = this.user;
    await this.ctx.chat.requireMember(user, roomId);
    await this.ctx.roomEventHub.publish({ type: 'typing', roomId, user: { id: user.id, username: user.username } });
  }

  /** Drops open transactions' buffered frames (the session closed). */
  discard(): void {
    this.#transactions = null;
  }

  async onTransaction(frame: StompFrame): Promise<void> {
    const tx = requireHeader(frame, 'transaction');
    if (frame.command === 'BEGIN') {
      const { limits } = this.ctx.config;
      this.#transactions ??= new TransactionBuffer({
        maxOpen: limits.maxOpenTransactions,
        maxFrames: limits.transactionMaxFrames,
        maxBytes: limits.transactionMaxBytes,
      });
      this.#transactions.begin(tx);
      this.session.receipt(frame);
      return;
    }
    const frames = this.#transactions?.take(tx);
    if (!frames) throw new ChorusError('bad_request', `unknown transaction ${tx}`);
    if (frame.command === 'COMMIT') {
      for (const send of frames) {
        try {
          await this.#deliverSend(send, send.headers.get('destination')!, true);
        } catch (err) {
          this.session.refuse(send, err);
        }
      }
    }
    this.session.receipt(frame);
  }
}

/** The room of a plain (non-transactional) SEND to /app/rooms/<id>, else undefined. */
export function sendRoomOf(frame: StompFrame): string | undefined {
  if (frame.command !== 'SEND' || frame.headers.has('transaction')) return undefined;
  const destination = frame.headers.get('destination');
  if (destination === undefined) return undefined;
  const target = parseDestination(destination);
  return target.kind === 'send-room' ? target.roomId : undefined;
}
