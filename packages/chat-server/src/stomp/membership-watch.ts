import type { UserHub } from '../fanout/user-hub.js';

/**
 * Follows one user's room memberships for a session that holds room-scoped subscriptions
 * (`/topic/rooms/<id>`, `/presence`, `/typing`). Leaving a room must end all of them, on every
 * replica: the room's own fan-out revokes only message subscriptions (they receive the leave
 * message), so the user's `rooms-changed` event, published to every replica, drives the rest.
 * It starts with the session's first room-scoped subscription, before the membership check
 * that grants it, so that a leave right after that check is not missed.
 */
export class MembershipWatch {
  #started: Promise<() => void> | null = null;
  #closed = false;

  constructor(
    private readonly userHub: UserHub,
    private readonly userId: string,
    private readonly onChanged: (roomId: string) => void,
  ) {}

  /** Resolves once membership events reach this session; rejects (unavailable) when the broker cannot subscribe. */
  async start(): Promise<void> {
    if (this.#started === null) {
      const started = this.userHub.onRoomsChanged(this.userId, (roomId) => this.onChanged(roomId));
      this.#started = started;
      started.catch(() => {
        if (this.#started === started) this.#started = null; // the next subscription tries again
      });
    }
    const stop = await this.#started;
    if (this.#closed) stop();
  }

  stop(): void {
    this.#closed = true;
    void this.#started?.then((stop) => stop(), () => {});
  }
}
