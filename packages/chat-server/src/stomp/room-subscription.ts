import type { Actor } from '@chorus/core';
import type { ChannelEntry, RoomSubscriber } from '../fanout/room-channel.js';
import type { RoomHub } from '../fanout/room-hub.js';
import type { PresenceTracker } from '../presence/presence-tracker.js';

/** What a room subscription needs from the session that owns it. */
export interface RoomSubscriptionOwner {
  write(frame: Buffer, replay?: boolean): void;
  /** The user left the room: end every subscription of the session to it. */
  revokeRoom(roomId: string): void;
}

/**
 * A session's subscription to `/topic/rooms/<id>`: the subscriber the room's fan-out writes
 * to, and the record the session keeps to end it. It is one object with methods rather than
 * a few closures, because an idle server holds one per connection: closures cost a context
 * each, and theirs kept the whole SUBSCRIBE frame (headers and body) alive.
 */
export class RoomSubscription implements RoomSubscriber {
  /** Set when the channel could not start the subscription (its replay failed). */
  failure: string | null = null;
  #roomHub: RoomHub | null = null;
  #entry: ChannelEntry | null = null;
  #presenceTracker: PresenceTracker | null = null;
  #presenceId = '';

  constructor(
    private readonly owner: RoomSubscriptionOwner,
    readonly subscriptionId: string,
    readonly roomId: string,
    private readonly user: Actor,
  ) {}

  get userId(): string {
    return this.user.id;
  }

  send(frame: Buffer, replay?: boolean): void {
    this.owner.write(frame, replay === true);
  }

  fail(reason: string): void {
    this.failure = reason;
  }

  revoke(): void {
    this.owner.revokeRoom(this.roomId);
  }

  /** Joins the room's channel in `roomHub` (replaying from `since`, when given). */
  async join(roomHub: RoomHub, since: number | undefined): Promise<void> {
    this.#entry = await roomHub.subscribe(this.roomId, this, since);
    this.#roomHub = roomHub;
  }

  /** Counts the subscription as the user's presence in the room, under `presenceId`. */
  enterPresence(presenceTracker: PresenceTracker, presenceId: string): void {
    this.#presenceTracker = presenceTracker;
    this.#presenceId = presenceId;
    presenceTracker.joined(this.roomId, presenceId, this.user);
  }

  /** Ends the subscription (unsubscribe, revocation, session closed); safe to call twice. */
  remove(): void {
    if (this.#roomHub && this.#entry) this.#roomHub.unsubscribe(this.roomId, this.#entry);
    this.#roomHub = null;
    this.#entry = null;
    const presenceTracker = this.#presenceTracker;
    this.#presenceTracker = null;
    presenceTracker?.left(this.roomId, this.#presenceId, this.user);
  }
}
