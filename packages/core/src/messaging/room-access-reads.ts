import type { Room } from '../domain/types.js';
import type { Store } from '../store/store.js';
import { GroupCommit } from './group-commit.js';

/** A room as one user may see it: null when the room does not exist. */
export type RoomAccess = { room: Room; member: boolean } | null;

interface AccessPair {
  roomId: string;
  userId: string;
}

/** Pairs per query; a connect storm's SUBSCRIBEs of one turn rarely reach it. */
const ACCESS_BATCH_MAX = 1000;
/**
 * Queries in flight at once. Few, so that a storm of access checks holds at most this many
 * pool connections and the message appends (their own commit lanes) never queue behind them.
 */
const ACCESS_READS_IN_FLIGHT = 2;

/**
 * The room access checks (ChatService.requireMember and getVisibleRoom) of everyone at once:
 * the checks asked while a query runs (or within one turn of the event loop) share the next
 * query, and the same (room, user) pair is read once per query. Every check is answered by a
 * query sent after it was asked, so a membership change that completed before the check
 * (a leave, a kick, a ban) is always seen.
 */
export class RoomAccessReads {
  readonly #reads: GroupCommit<AccessPair, RoomAccess>;

  constructor(store: Pick<Store, 'getRoomsForUsers'>) {
    this.#reads = new GroupCommit({
      commit: (pairs) => readDistinct(store, pairs),
      maxBatch: ACCESS_BATCH_MAX,
      maxInFlight: ACCESS_READS_IN_FLIGHT,
      // A failed read (the database unavailable) fails every check of the batch alike.
      isolate: () => false,
    });
  }

  async get(roomId: string, userId: string): Promise<RoomAccess> {
    const [found] = await this.#reads.submit([{ roomId, userId }]);
    // Callers of one batch share the row: each gets its own Room object.
    return found ? { room: { ...found.room }, member: found.member } : null;
  }
}

async function readDistinct(store: Pick<Store, 'getRoomsForUsers'>, pairs: AccessPair[]): Promise<RoomAccess[]> {
  const indexOf = new Map<string, number>();
  const distinct: AccessPair[] = [];
  const slots = pairs.map((pair) => {
    const key = `${pair.roomId} ${pair.userId}`;
    let index = indexOf.get(key);
    if (index === undefined) {
      index = distinct.push(pair) - 1;
      indexOf.set(key, index);
    }
    return index;
  });
  const found = await store.getRoomsForUsers(distinct);
  return slots.map((index) => found[index] ?? null);
}
