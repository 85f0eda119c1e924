import type { Logger, Presence, PresenceChange, PresenceUser } from '@chorus/core';
import type { RoomEventHub } from '../fanout/room-event-hub.js';

/**
 * Presence as this process sees it: each local subscription to
 * `/topic/rooms/<id>` is one presence entry; transitions (online/offline) are
 * published as room events. A heartbeat every ttl/3 refreshes this process's
 * entries and sweeps the expired entries of replicas that died.
 */
export class PresenceTracker {
  /** userId → roomId → local subscription count (who is viewing what on this process). */
  readonly #viewing = new Map<string, Map<string, number>>();
  /** Presence calls of one connection entry run in order. */
  readonly #chains = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #beating = false;

  constructor(
    readonly presence: Presence,
    private readonly roomEventHub: RoomEventHub,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.heartbeat(), Math.max(100, Math.floor(this.presence.ttlMs / 3)));
    this.#timer.unref();
  }

  /** Refreshes this process's entries and publishes the changes found by sweeping. */
  async heartbeat(): Promise<void> {
    if (this.#beating) return;
    this.#beating = true;
    try {
      const changes = [...(await this.presence.refresh()), ...(await this.presence.sweep())];
      for (const change of changes) this.#announce(change);
    } catch (err) {
      this.logger.warn({ err }, 'presence heartbeat failed; retrying on the next beat');
    } finally {
      this.#beating = false;
    }
  }

  joined(roomId: string, connectionId: string, user: PresenceUser): void {
    let rooms = this.#viewing.get(user.id);
    if (!rooms) {
      rooms = new Map();
      this.#viewing.set(user.id, rooms);
    }
    rooms.set(roomId, (rooms.get(roomId) ?? 0) + 1);
    this.#chain(roomId, connectionId, async () => {
      if (await this.presence.join(roomId, connectionId, user)) this.#announce({ roomId, user, online: true });
    });
  }

  left(roomId: string, connectionId: string, user: PresenceUser): void {
    const rooms = this.#viewing.get(user.id);
    const count = (rooms?.get(roomId) ?? 0) - 1;
    if (rooms) {
      if (count > 0) rooms.set(roomId, count);
      else rooms.delete(roomId);
      if (rooms.size === 0) this.#viewing.delete(user.id);
    }
    this.#chain(roomId, connectionId, async () => {
      if (await this.presence.leave(roomId, connectionId)) this.#announce({ roomId, user, online: false });
    });
  }

  /** Whether the user has a session on this process subscribed to the room. */
  isViewing(userId: string, roomId: string): boolean {
    return (this.#viewing.get(userId)?.get(roomId) ?? 0) > 0;
  }

  /** Resolves when every presence call issued so far has settled. */
  async flush(): Promise<void> {
    while (this.#chains.size > 0) await Promise.all([...this.#chains.values()]);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #chain(roomId: string, connectionId: string, step: () => Promise<void>): void {
    const key = `${roomId}\n${connectionId}`;
    const next = (this.#chains.get(key) ?? Promise.resolve())
      .then(step)
      .catch((err: unknown) => this.logger.warn({ err, roomId }, 'presence update failed; the heartbeat will retry'))
      .finally(() => {
        if (this.#chains.get(key) === next) this.#chains.delete(key);
      });
    this.#chains.set(key, next);
  }

  #announce(change: PresenceChange): void {
    this.roomEventHub
      .publish({ type: 'presence', roomId: change.roomId, user: { id: change.user.id, username: change.user.username }, online: change.online })
      .catch(() => {});
  }
}
