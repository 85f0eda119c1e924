import type { RoomSettings, RoomStanding } from './room-standing.js';

/** Handed out when a standing read starts, handed back with its answer. */
export interface StandingRead {
  readonly read: number;
  /** Settings events seen when the read started. */
  readonly events: number;
}

/**
 * Orders the open room's standing reads (GET /api/rooms/:id/settings) against its live settings
 * events, which travel separately and can cross them:
 * - a read answered after a newer read's answer is stale and dropped;
 * - a settings event that arrived while a read was in flight may be newer than what the read saw
 *   (the read can be served just before the change commits and answered just after its event),
 *   so the latest such event is laid over the answer. An event that arrived while no standing was
 *   known yet is kept the same way instead of being lost.
 * Events carry the whole settings and arrive in commit order, so laying the latest one over a read
 * can only be behind by a change whose event is still on its way, and that event repairs it.
 */
export class StandingReads {
  #reads = 0;
  #newestAnswered = 0;
  #events = 0;
  #latest: RoomSettings | null = null;

  /** A read starts. */
  start(): StandingRead {
    return { read: ++this.#reads, events: this.#events };
  }

  /** A settings event of the open room arrived. */
  event(settings: RoomSettings): void {
    this.#events++;
    this.#latest = settings;
  }

  /** A read answered: the standing to show, or null when a newer read has answered already. */
  answered(read: StandingRead, standing: RoomStanding): RoomStanding | null {
    if (read.read < this.#newestAnswered) return null;
    this.#newestAnswered = read.read;
    const latest = this.#latest;
    if (read.events === this.#events || latest === null || latest.roomId !== standing.roomId) return standing;
    return { ...standing, ...latest };
  }
}
