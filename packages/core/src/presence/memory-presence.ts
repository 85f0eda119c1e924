import type { HeldEntry, Presence, PresenceChange, PresenceOptions, PresenceUser } from './presence.js';
import { HeldEntries } from './presence.js';

/** One object serves as both the held entry and the live one (a server holds one per subscribed connection). */
interface Entry extends HeldEntry {
  /** Meaningful while the entry is in #rooms; set again whenever it is put back. */
  expiresAt: number;
}

/** Presence for the embedded single-process deployment: every entry is held by this instance. */
export class MemoryPresence implements Presence {
  readonly ttlMs: number;
  readonly #now: () => number;
  /** roomId → userId → (connectionId → entry). Indexed by user so a join looks at that user's entries only. */
  readonly #rooms = new Map<string, Map<string, Map<string, Entry>>>();
  /** Entries this instance holds (all of them, for the memory backend), including expired ones until swept. */
  readonly #held = new HeldEntries<Entry>();

  constructor(options: PresenceOptions) {
    this.ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
  }

  async join(roomId: string, connectionId: string, user: PresenceUser): Promise<boolean> {
    const entry: Entry = { roomId, connectionId, user, expiresAt: 0 };
    this.#held.set(entry);
    const wasOnline = this.#isLive(roomId, user.id);
    this.#put(entry);
    return !wasOnline;
  }

  async leave(roomId: string, connectionId: string): Promise<boolean> {
    const held = this.#held.take(roomId, connectionId);
    if (!held) return false;
    const room = this.#rooms.get(roomId);
    const entries = room?.get(held.user.id);
    const entry = entries?.get(connectionId);
    if (!room || !entries || !entry) return false;
    entries.delete(connectionId);
    if (entries.size === 0) room.delete(held.user.id);
    if (room.size === 0) this.#rooms.delete(roomId);
    if (entry.expiresAt <= this.#now()) return false; // already offline, sweep reports it
    return !this.#isLive(roomId, held.user.id);
  }

  async online(roomId: string): Promise<PresenceUser[]> {
    const now = this.#now();
    const users: PresenceUser[] = [];
    for (const entries of this.#rooms.get(roomId)?.values() ?? []) {
      for (const entry of entries.values()) {
        if (entry.expiresAt > now) {
          users.push(entry.user);
          break;
        }
      }
    }
    return users;
  }

  async refresh(): Promise<PresenceChange[]> {
    const changes: PresenceChange[] = [];
    const now = this.#now();
    for (const entry of this.#held.values()) {
      const current = this.#rooms.get(entry.roomId)?.get(entry.user.id)?.get(entry.connectionId);
      if (current && current.expiresAt > now) {
        current.expiresAt = now + this.ttlMs;
        continue;
      }
      if (current) continue; // expired, not yet swept: the sweep reports offline, the next refresh online
      const wasOnline = this.#isLive(entry.roomId, entry.user.id);
      this.#put(entry);
      if (!wasOnline) changes.push({ roomId: entry.roomId, user: entry.user, online: true });
    }
    return changes;
  }

  async sweep(): Promise<PresenceChange[]> {
    const now = this.#now();
    const changes: PresenceChange[] = [];
    for (const [roomId, room] of this.#rooms) {
      for (const [userId, entries] of room) {
        let user: PresenceUser | undefined;
        for (const [key, entry] of entries) {
          if (entry.expiresAt > now) continue;
          entries.delete(key);
          user = entry.user;
        }
        if (entries.size === 0) room.delete(userId);
        if (user && !this.#isLive(roomId, userId)) changes.push({ roomId, user, online: false });
      }
      if (room.size === 0) this.#rooms.delete(roomId);
    }
    return changes;
  }

  async close(): Promise<void> {
    this.#rooms.clear();
    this.#held.clear();
  }

  #put(entry: Entry): void {
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
    entry.expiresAt = this.#now() + this.ttlMs;
    entries.set(entry.connectionId, entry);
  }

  #isLive(roomId: string, userId: string): boolean {
    const now = this.#now();
    for (const entry of this.#rooms.get(roomId)?.get(userId)?.values() ?? []) if (entry.expiresAt > now) return true;
    return false;
  }
}
