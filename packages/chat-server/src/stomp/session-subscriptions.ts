import { ChorusError, isChorusError, type Actor } from '@chorus/core';
import type { RoomsWatcher } from '../fanout/user-hub.js';
import type { StompFrame, StompVersion } from '../protocol/codec/index.js';
import { parseDestination, roomTopicDestination, UNREAD_QUEUE, USER_ERRORS_QUEUE } from '../protocol/destinations.js';
import { ownString } from '../util/own-string.js';
import { SharedStrings } from '../util/shared-strings.js';
import { requireHeader } from './frame-headers.js';
import { RoomSubscription, type RoomSubscriptionOwner } from './room-subscription.js';
import type { SessionContext } from './session-context.js';
import type { SessionLimits } from './session-limits.js';
import { SubscriptionTable } from './subscription-table.js';

/** Subscription ids kept by sessions, one copy per id for the whole process (see SharedStrings). */
const subscriptionIds = new SharedStrings(1024, 32);

interface ActiveSubscription {
  /** The room a room, presence, typing or settings subscription belongs to. */
  readonly roomId?: string;
  remove(): void;
}

/** What the subscriptions need from their session. */
export interface SubscriptionsOwner extends RoomSubscriptionOwner {
  readonly id: number;
  readonly isClosed: boolean;
  readonly version: StompVersion;
  receipt(frame: StompFrame): void;
  refuse(frame: StompFrame, err: unknown): void;
}

/**
 * A connected session's subscriptions: SUBSCRIBE routes a destination to the collaborator
 * that serves it (room fan-out and presence, room events, user queues, the errors queue)
 * and records the active subscription under its id, until UNSUBSCRIBE, revocation or close.
 * It is its own SubscriptionTable (extends rather than holds one): an idle server keeps one
 * per connection, and one object costs less than two.
 */
export class SessionSubscriptions extends SubscriptionTable<ActiveSubscription> implements RoomsWatcher {
  /** Refusals go here as MESSAGEs when set (the errors queue is not a fan-out subscription). */
  #errorsSubscriptionId: string | null = null;

  constructor(
    private readonly session: SubscriptionsOwner,
    private readonly ctx: SessionContext,
    private readonly user: Actor,
    private readonly limits: SessionLimits,
  ) {
    super();
  }

  get errorsSubscriptionId(): string | null {
    return this.#errorsSubscriptionId;
  }

  async subscribe(frame: StompFrame): Promise<void> {
    // What a subscription keeps must not keep the frame's header block alive (see ownString).
    const id = subscriptionIds.of(requireHeader(frame, 'id'));
    const destination = requireHeader(frame, 'destination');
    // MESSAGE frames are encoded once for every session, with 1.2 escaping of the subscription id.
    if (this.session.version === '1.0' && /[:\\]/.test(id)) {
      throw new ChorusError('bad_request', 'with STOMP 1.0 a subscription id cannot contain ":" or "\\"; use other characters or STOMP 1.1+');
    }
    if (this.has(id) || this.#errorsSubscriptionId === id) {
      throw new ChorusError('conflict', `subscription id ${id} is already in use`);
    }
    const ack = frame.headers.get('ack');
    if (ack !== undefined && ack !== 'auto') {
      throw new ChorusError('bad_request', `ack:${ack} is not supported: Chorus subscriptions are ack:auto`);
    }
    this.limits.takeSubscribe();
    const target = parseDestination(destination);
    switch (target.kind) {
      case 'user-queue': {
        if (target.queue === USER_ERRORS_QUEUE) {
          this.#errorsSubscriptionId = id;
          this.session.receipt(frame);
          return;
        }
        if (target.queue !== UNREAD_QUEUE) {
          throw new ChorusError('not_found', `unknown destination ${destination}: user queues are /user/queue/errors and /user/queue/unread`);
        }
        const userId = this.user.id;
        const stopTracking = await this.ctx.unread.track(userId);
        let stopQueue: () => void;
        try {
          stopQueue = await this.ctx.userHub.subscribe(userId, target.queue, { subscriptionId: id, send: (data) => this.session.write(data) });
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
      case 'room-typing':
      case 'room-settings': {
        await this.#watchMembership();
        await this.ctx.chat.requireMember(this.user, target.roomId);
        const type = target.kind === 'room-presence' ? 'presence' : target.kind === 'room-typing' ? 'typing' : 'settings';
        const roomId = this.ctx.roomHub.sharedRoomId(target.roomId);
        const remove = await this.ctx.roomEventHub.subscribe(roomId, type, { subscriptionId: id, send: (data) => this.session.write(data) });
        this.#activate(frame, id, { remove, roomId });
        return;
      }
      case 'room': {
        const since = parseSince(frame.headers.get('since'));
        await this.#watchMembership();
        await this.ctx.chat.requireMember(this.user, target.roomId);
        const roomId = this.ctx.roomHub.sharedRoomId(target.roomId);
        const subscription = new RoomSubscription(this.session, id, roomId, this.user);
        await subscription.join(this.ctx.roomHub, since);
        if (subscription.failure !== null) {
          subscription.remove();
          this.session.refuse(frame, new ChorusError('unavailable', subscription.failure));
          return;
        }
        if (!this.session.isClosed) {
          subscription.enterPresence(this.ctx.presenceTracker, ownString(`${this.ctx.processId}:${this.session.id}:${subscription.subscriptionId}`));
        }
        this.#activate(frame, subscription.subscriptionId, subscription);
        return;
      }
      default:
        throw new ChorusError(
          'not_found',
          `unknown destination ${destination}: subscribe to /topic/rooms/<roomId>[/presence|/typing|/settings] or /user/queue/errors|unread`,
        );
    }
  }

  /** Records a subscription that is in place, or undoes it when the session closed meanwhile. */
  #activate(frame: StompFrame, id: string, subscription: ActiveSubscription): void {
    if (this.session.isClosed) {
      subscription.remove();
      return;
    }
    this.set(id, subscription);
    this.ctx.metrics.subscriptions.inc();
    this.session.receipt(frame);
  }

  unsubscribe(frame: StompFrame): void {
    const id = requireHeader(frame, 'id');
    if (this.#errorsSubscriptionId === id) {
      this.#errorsSubscriptionId = null;
      this.session.receipt(frame);
      return;
    }
    const sub = this.get(id);
    if (!sub) throw new ChorusError('not_found', `no subscription with id ${id}`);
    sub.remove();
    this.delete(id);
    this.ctx.metrics.subscriptions.dec();
    this.session.receipt(frame);
  }

  /**
   * The user left the room (from any session or device): every subscription of
   * this session to the room, its presence, typing or settings ends, and the client is
   * told with a `forbidden` error for the room's destination.
   */
  revokeRoom(roomId: string): void {
    let ended = 0;
    for (const [id, sub] of [...this]) {
      if (sub.roomId !== roomId) continue;
      this.delete(id);
      sub.remove();
      ended++;
    }
    if (ended === 0) return;
    this.ctx.metrics.subscriptions.dec(ended);
    const destination = roomTopicDestination(roomId);
    const frame: StompFrame = { command: 'SUBSCRIBE', headers: new Map([['destination', destination]]), body: Buffer.alloc(0) };
    this.session.refuse(frame, new ChorusError('forbidden', `you left room ${roomId}: its subscriptions ended`));
  }

  /**
   * Leaving a room must end the session's room, presence and typing subscriptions to it, on every
   * replica: the room's own fan-out revokes only message subscriptions (they receive the leave
   * message), so the user's `rooms-changed` event, published to every replica, drives the rest.
   * The watch starts with the first room-scoped subscription, before the membership check that
   * grants it, so that a leave right after that check is not missed. This object is the watcher
   * (no closures per session: an idle server holds one per connection).
   */
  async #watchMembership(): Promise<void> {
    await this.ctx.userHub.watchRooms(this.user.id, this);
    if (this.session.isClosed) this.ctx.userHub.unwatchRooms(this.user.id, this); // closed while the watch started
  }

  /** The user's membership of `roomId` changed somewhere (see #watchMembership). */
  roomsChanged(roomId: string): void {
    void this.#membershipChanged(roomId);
  }

  /** If the user is no longer a member of `roomId`, its subscriptions end. */
  async #membershipChanged(roomId: string): Promise<void> {
    if (this.session.isClosed || !this.#holdsRoom(roomId)) return;
    try {
      await this.ctx.chat.requireMember(this.user, roomId);
    } catch (err) {
      if (isChorusError(err) && (err.code === 'forbidden' || err.code === 'not_found')) this.revokeRoom(roomId);
      else this.ctx.logger.warn({ err, session: this.session.id, roomId }, 'could not recheck a room membership');
    }
  }

  #holdsRoom(roomId: string): boolean {
    for (const sub of this.values()) if (sub.roomId === roomId) return true;
    return false;
  }

  /** Ends every subscription (the session closed). */
  removeAll(): void {
    this.ctx.userHub.unwatchRooms(this.user.id, this);
    for (const sub of this.values()) sub.remove();
    this.ctx.metrics.subscriptions.dec(this.size);
    this.clear();
  }
}

function parseSince(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new ChorusError('bad_request', 'since must be a non-negative integer seq');
  return Number(value);
}
