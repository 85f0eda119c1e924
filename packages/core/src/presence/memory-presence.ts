import type { HeldEntry, Presence, PresenceChange, PresenceOptions, PresenceUser } from './presence.js';
import { HeldEntries } from './presence.js';

/**
 * Presence for the embedded single-process deployment: every entry is held by this instance, and lives
 * while the instance's lease does, as with RedisPresence. A refresh renews the lease and touches no
 * entry. The lease lapses only if refreshes stop, and then the sweep removes every entry.
 */
export class MemoryPresence implements Presence {
  readonly ttlMs: number;
  readonly #now: () => number;
  /** roomId → userId → (connectionId → entry). Indexed by user so a join looks at that user's entries only. */
  readonly #rooms = new Map<string, Map<string, Map<string, HeldEntry>>>();
  /** Entries this instance holds (the same objects as in #rooms while they are there). */
  readonly #held = new HeldEntries();
  #leaseUntil: number;
  /** A join was refused while the lease had lapsed: the next refresh writes every held entry. */
  #fullRefreshDue = false;

  constructor(options: PresenceOptions) {
    this.ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
    this.#leaseUntil = this.#now() + this.ttlMs;
  }

  async join(roomId: string, connectionId: string, user: PresenceUser): Promise<boolean> {
    const entry: HeldEntry = { roomId, connectionId, user };
    this.#held.set(entry);
    if (!this.#alive()) {
      this.#fullRefreshDue = true;
      return false;
    }
    const wasOnline = this.#hasEntries(roomId, user.id);
    this.#put(entry);
    return !wasOnline;
  }

  async leave(roomId: string, connectionId: string): Promise<boolean> {
    const held = this.#held.take(roomId, connectionId);
    if (!held) return false;
    const room = this.#rooms.get(roomId);
    const entries = room?.get(held.user.id);
    if (!room || !entries?.delete(connectionId)) return false;
    if (entries.size === 0) room.delete(held.user.id);
    if (room.size === 0) this.#rooms.delete(roomId);
    // An entry that was no longer live (lapsed lease, not yet swept) was never reported offline: report it here.
    return entries.size === 0 || !this.#alive();
  }

  async online(roomId: string): Promise<PresenceUser[]> {
    if (!this.#alive()) return [];
    const users: PresenceUser[] = [];
    for (const entries of this.#rooms.get(roomId)?.values() ?? []) {
      for (const entry of entries.values()) {
        users.push(entry.user);
        break;
      }
    }
    return users;
  }

  async refresh(): Promise<PresenceChange[]> {
    const lapsed = !this.#alive();
    this.#leaseUntil = this.#now() + this.ttlMs;
    if (!lapsed && !this.#fullRefreshDue) return [];
    this.#fullRefreshDue = false;
    // Entries still here were never reported offline; those the sweep removed come back online.
    const changes: PresenceChange[] = [];
    for (const entry of this.#held.values()) {
      const entries = this.#rooms.get(entry.roomId)?.get(entry.user.id);
      if (entries?.has(entry.connectionId)) continue;
      if (!entries?.size) changes.push({ roomId: entry.roomId, user: entry.user, online: true });
      this.#put(entry);
    }
    return changes;
  }

  async sweep(): Promise<PresenceChange[]> {
    if (this.#alive()) return [];
    const changes: PresenceChange[] = [];
    for (const [roomId, room] of this.#rooms) {
      for (const entries of room.values()) {
        for (const entry of entries.values()) {
          changes.push({ roomId, user: entry.user, online: false });
          break;
        }
      }
    }
    this.#rooms.clear();
    return changes;
  }

  async close(): Promise<void> {
    this.#rooms.clear();
    this.#held.clear();
  }

  #alive(): boolean {
    return this.#leaseUntil > this.#now();
  }

  #hasEntries(roomId: string, userId: string): boolean {
    return (this.#rooms.get(roomId)?.get(userId)?.size ?? 0) > 0;
  }

  #put(entry: HeldEntry): void {
    let room = this.#rooms.get(entry.roomId);
    if (!room) {
      room = new Map();
      this.#rooms.set(entry.roomId, room);
    }
    let entries = room.get(entry.user.id);
    if (!entries) {
      entries = new Map();
      room.set(entry.user.id, entries);
    }
    entries.set(entry.connectionId, entry);
  }
}
