import type { RoomSettings, RoomStanding } from './room-standing.js';

/** Handed out when a standing read starts, handed back with its answer. */
export interface StandingRead {
  readonly read: number;
}

/**
 * Keeps the open room's standing newest, whatever order its copies arrive in. The settings part
 * comes from three places that travel separately: standing reads (GET /api/rooms/:id/settings),
 * live settings events, and the answers to this tab's own changes. Settings carry a version that
 * moves up with every change in commit order, so:
 * - settings (event or own answer) no newer than those already seen are stale and not shown: an
 *   event can be overtaken by another replica's later one, and a change's answer by the event of
 *   a change made after it;
 * - a read whose settings are older than the newest seen (served just before a change committed,
 *   answered after its event) shows its role and timeout with the newest settings laid over them.
 * The role and timeout are not versioned: of two reads, the one started last wins, and an answer
 * arriving after a newer read's answer is dropped.
 */
export class StandingReads {
  #reads = 0;
  #newestAnswered = 0;
  /** The open room's newest settings seen (highest version), from any of the three sources. */
  #newest: RoomSettings | null = null;

  /** A read starts. */
  start(): StandingRead {
    return { read: ++this.#reads };
  }

  /** Settings from a live event or a change's answer: true when newer than any seen (to be shown). */
  settings(settings: RoomSettings): boolean {
    const newest = this.#newest;
    if (newest !== null && newest.roomId === settings.roomId && settings.version <= newest.version) return false;
    this.#newest = settings;
    return true;
  }

  /** A read answered: the standing to show, or null when a newer read has answered already. */
  answered(read: StandingRead, standing: RoomStanding): RoomStanding | null {
    if (read.read < this.#newestAnswered) return null;
    this.#newestAnswered = read.read;
    const newest = this.#newest;
    if (newest !== null && newest.roomId === standing.roomId && newest.version > standing.version) return { ...standing, ...newest };
    const { role: _role, timedOutUntil: _timedOutUntil, ...settings } = standing;
    this.#newest = settings;
    return standing;
  }
}
