import { ChorusError } from '@chorus/core';
import { ownString } from '../util/own-string.js';
import { ownFrame } from './own-frame.js';
import type { StompFrame } from '../protocol/codec/index.js';

export interface TransactionLimits {
  /** Open transactions per connection. */
  readonly maxOpen: number;
  /** SENDs buffered in one transaction. */
  readonly maxFrames: number;
  /** Bytes (headers and bodies) buffered in one transaction. */
  readonly maxBytes: number;
}

interface Open {
  readonly frames: StompFrame[];
  bytes: number;
}

/**
 * The open STOMP transactions of one connection: the SENDs buffered until COMMIT, within
 * the limits. A transaction that would pass a limit is aborted whole (its memory is freed
 * at once; a later COMMIT answers "unknown transaction"). Buffered frames are compact copies,
 * so they do not keep the WebSocket message they arrived in alive.
 */
export class TransactionBuffer {
  readonly #open = new Map<string, Open>();

  constructor(private readonly limits: TransactionLimits) {}

  get size(): number {
    return this.#open.size;
  }

  begin(id: string): void {
    if (this.#open.has(id)) throw new ChorusError('conflict', `transaction ${id} already started`);
    if (this.#open.size >= this.limits.maxOpen) {
      throw new ChorusError('bad_request', `too many open transactions (at most ${this.limits.maxOpen}); COMMIT or ABORT one first`);
    }
    this.#open.set(ownString(id), { frames: [], bytes: 0 });
  }

  /** Whether `id` is open (a SEND naming it may be buffered). */
  has(id: string): boolean {
    return this.#open.has(id);
  }

  /** Buffers a SEND in transaction `id`; throws (and aborts the transaction) when it would pass a limit. */
  add(id: string, frame: StompFrame): void {
    const tx = this.#open.get(id);
    if (!tx) throw new ChorusError('bad_request', `unknown transaction ${id}`);
    const size = frameSize(frame);
    if (tx.frames.length >= this.limits.maxFrames || tx.bytes + size > this.limits.maxBytes) {
      this.#open.delete(id);
      throw new ChorusError(
        'payload_too_large',
        `transaction ${id} passed its limit (${this.limits.maxFrames} SENDs, ${this.limits.maxBytes} bytes) and was aborted`,
      );
    }
    tx.frames.push(ownFrame(frame));
    tx.bytes += size;
  }

  /** Ends transaction `id` and returns its SENDs in order (undefined when it is not open). */
  take(id: string): StompFrame[] | undefined {
    const tx = this.#open.get(id);
    if (!tx) return undefined;
    this.#open.delete(id);
    return tx.frames;
  }

  clear(): void {
    this.#open.clear();
  }
}

/** What a buffered frame costs: its body and its headers' text. */
function frameSize(frame: StompFrame): number {
  let size = frame.body.length;
  for (const [name, value] of frame.headers) size += name.length + value.length + 2;
  return size;
}

