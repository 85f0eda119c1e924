/**
 * How far a connection's `since` replays may fill its send buffer beyond SEND_BUFFER_BYTES.
 * A replay is written in one burst, faster than any client reads, so its frames skip the
 * slow-consumer check, but only up to REPLAY_BUFFER_BYTES for the whole connection, however
 * many subscriptions replay at once. The budget refills once the client has read its buffer
 * back down to the bound; frames past the budget are checked like live ones, so a client
 * that does not read is cut off like any slow consumer.
 */
export class ReplayBudget {
  #used = 0;

  constructor(
    private readonly sendBufferBytes: number,
    private readonly replayBufferBytes: number,
  ) {}

  /** Whether a replayed frame of `size` bytes may skip the bound, with `buffered` bytes unsent now. */
  exempts(size: number, buffered: number): boolean {
    if (buffered <= this.sendBufferBytes) this.#used = 0;
    if (this.#used + size > this.replayBufferBytes) return false;
    this.#used += size;
    return true;
  }
}
