/** A user as presence reports them. */
export interface PresenceUser {
  id: string;
  username: string;
}

/** A user came online in a room (first connection anywhere) or went offline (last one gone). */
export interface PresenceChange {
  roomId: string;
  user: PresenceUser;
  online: boolean;
}

/**
 * Who is online in each room, across every replica. An entry is one connection
 * (one STOMP subscription to `/topic/rooms/<id>`) of one user in one room.
 *
 * Contract:
 * - A user is online in a room while at least one of their entries, held by
 *   any instance sharing the backend, is alive. `online(roomId)` lists each such
 *   user once.
 * - `join` reports `true` only when the user had no other live entry in the room
 *   (they just came online); `leave` reports `true` only when it removed the
 *   user's last live entry (they just went offline). Concurrent calls for the
 *   same user across instances report each transition at most once.
 * - An entry lives while the instance that holds it does: each instance has a
 *   lease that `refresh()` renews to `ttlMs` from now (call it every ttlMs/3),
 *   with work that does not grow with its entries. An instance that dies stops
 *   refreshing, so its entries stop counting as live within `ttlMs`.
 * - `refresh()` returns the users an entry brought back online: after the lease
 *   lapsed and was swept, or after a join that failed or was refused while the
 *   lease had lapsed, it writes every held entry again. Entries of a lapsed
 *   lease that were not swept yet were never reported offline and come back
 *   without a report.
 * - `sweep()` deletes the entries of every instance whose lease has lapsed and
 *   returns the users that thereby went offline; with several instances
 *   sweeping, each such change is reported by exactly one of them. `leave`
 *   reports offline for an entry it removes that was no longer live (lapsed,
 *   not yet swept) if no other live entry of the user is left.
 * - The local record of held entries survives backend failures: calls throw
 *   ChorusError('unavailable'), and the next successful `refresh()` rewrites
 *   whatever the backend lost.
 */
export interface Presence {
  readonly ttlMs: number;
  join(roomId: string, connectionId: string, user: PresenceUser): Promise<boolean>;
  leave(roomId: string, connectionId: string): Promise<boolean>;
  online(roomId: string): Promise<PresenceUser[]>;
  refresh(): Promise<PresenceChange[]>;
  sweep(): Promise<PresenceChange[]>;
  close(): Promise<void>;
}

export interface PresenceOptions {
  ttlMs: number;
  /** The clock (tests move it forward instead of sleeping). */
  now?: () => number;
}

/** One entry this instance holds. */
export interface HeldEntry {
  roomId: string;
  connectionId: string;
  user: PresenceUser;
}

/**
 * The entries an instance holds, by room then connection. Nested maps rather than one map keyed
 * by "room + connection": the ids are strings the caller already keeps, so an entry costs no
 * extra key string (a server holds one entry per subscribed connection).
 */
export class HeldEntries<T extends HeldEntry = HeldEntry> {
  readonly #rooms = new Map<string, Map<string, T>>();

  get(roomId: string, connectionId: string): T | undefined {
    return this.#rooms.get(roomId)?.get(connectionId);
  }

  set(entry: T): void {
    let room = this.#rooms.get(entry.roomId);
    if (!room) {
      room = new Map();
      this.#rooms.set(entry.roomId, room);
    }
    room.set(entry.connectionId, entry);
  }

  /** Removes and returns the entry, if there was one. */
  take(roomId: string, connectionId: string): T | undefined {
    const room = this.#rooms.get(roomId);
    const entry = room?.get(connectionId);
    if (!room || !entry) return undefined;
    room.delete(connectionId);
    if (room.size === 0) this.#rooms.delete(roomId);
    return entry;
  }

  /** Every entry, grouped by room. */
  *values(): IterableIterator<T> {
    for (const room of this.#rooms.values()) yield* room.values();
  }

  /** The entries of each room, one list per room. */
  *byRoom(): IterableIterator<T[]> {
    for (const room of this.#rooms.values()) yield [...room.values()];
  }

  clear(): void {
    this.#rooms.clear();
  }
}
