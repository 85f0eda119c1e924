/**
 * How far a connection's `since` replays may fill its send buffer beyond SEND_BUFFER_BYTES.
 * A replay is written in one burst, faster than any client reads, so the connection's bound
 * is raised to SEND_BUFFER_BYTES + REPLAY_BUFFER_BYTES while replayed bytes are outstanding,
 * for every frame (the RECEIPT and the live frames queued behind a replay must not cut a
 * client that reads). It is one budget per connection, however many subscriptions replay:
 * replayed bytes count against it until the client has read its buffer back down to
 * SEND_BUFFER_BYTES, and no frame is written past the raised bound.
 * Unsent bytes never pass SEND_BUFFER_BYTES + REPLAY_BUFFER_BYTES plus one frame, and a
 * client that does not read is cut off like any slow consumer.
 */
export class ReplayBudget {
  #used = 0;

  constructor(
    private readonly sendBufferBytes: number,
    private readonly replayBufferBytes: number,
  ) {}

  /** Whether a frame of `size` bytes may be written with `buffered` bytes unsent now. */
  allows(size: number, buffered: number, replay: boolean): boolean {
    if (buffered <= this.sendBufferBytes) this.#used = 0;
    const raised = buffered <= this.sendBufferBytes + this.replayBufferBytes;
    if (replay && this.#used + size <= this.replayBufferBytes) {
      this.#used += size;
      return raised;
    }
    return this.#used > 0 ? raised : buffered <= this.sendBufferBytes;
  }
}
