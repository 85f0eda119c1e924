import type { MemberRoom, Message } from '../api/types.js';
import { Timeline } from './timeline.js';

/** Everything the client holds about one room the user belongs to. */
export interface RoomState {
  room: MemberRoom;
  timeline: Timeline;
  /** Live messages that arrived while the first page was loading. */
  buffer: Message[];
  loading: Promise<void> | null;
  catchingUp: boolean;
  catchUpAgain: boolean;
}

export interface MergeResult {
  added: string[];
  removed: string[];
}

/** The user's rooms, in the order the server lists them. */
export class RoomStore {
  #rooms = new Map<string, RoomState>();

  get(roomId: string): RoomState | undefined {
    return this.#rooms.get(roomId);
  }

  has(roomId: string): boolean {
    return this.#rooms.has(roomId);
  }

  ids(): string[] {
    return [...this.#rooms.keys()];
  }

  list(): MemberRoom[] {
    return [...this.#rooms.values()].map((state) => state.room);
  }

  /** Last seq the client knows for a room: where a (re)subscription resumes. */
  since(roomId: string): number {
    const state = this.#rooms.get(roomId);
    if (!state) return 0;
    return Math.max(state.room.lastSeq, state.timeline.newestSeq);
  }

  /**
   * Takes a fresh /api/me/rooms listing: keeps loaded timelines, never moves
   * lastSeq backwards, and reports which rooms appeared and disappeared.
   */
  merge(rooms: readonly MemberRoom[]): MergeResult {
    const next = new Map<string, RoomState>();
    const added: string[] = [];
    for (const room of rooms) {
      const existing = this.#rooms.get(room.id);
      if (existing) {
        existing.room = { ...room, lastSeq: Math.max(room.lastSeq, existing.room.lastSeq) };
        next.set(room.id, existing);
      } else {
        next.set(room.id, newState(room));
        added.push(room.id);
      }
    }
    const removed = [...this.#rooms.keys()].filter((id) => !next.has(id));
    this.#rooms = next;
    return { added, removed };
  }

  remove(roomId: string): boolean {
    return this.#rooms.delete(roomId);
  }

  clear(): void {
    this.#rooms.clear();
  }
}

function newState(room: MemberRoom): RoomState {
  return { room: { ...room }, timeline: new Timeline(), buffer: [], loading: null, catchingUp: false, catchUpAgain: false };
}
