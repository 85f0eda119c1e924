import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GroupCommit, LanedGroupCommit, laneOf } from '../src/messaging/group-commit.js';

/** A commit function that records its batches and completes only when told to. */
function recordingCommit() {
  const batches: number[][] = [];
  const pending: Array<() => void> = [];
  let fail: ((items: number[]) => Error | undefined) | undefined;
  return {
    batches,
    pending,
    failWhen(predicate: (items: number[]) => Error | undefined) {
      fail = predicate;
    },
    commit(items: number[]): Promise<string[]> {
      batches.push(items);
      return new Promise((resolve, reject) => {
        pending.push(() => {
          const err = fail?.(items);
          if (err) reject(err);
          else resolve(items.map((n) => `stored ${n}`));
        });
      });
    },
    releaseAll() {
      for (const release of pending.splice(0)) release();
    },
  };
}

const waitFor = async (condition: () => boolean) => {
  await expect.poll(condition).toBe(true);
};

describe('GroupCommit', () => {
  it('commits what arrives in one turn together, then batches what queued behind the commits in flight', async () => {
    const db = recordingCommit();
    const group = new GroupCommit({ commit: (items: number[]) => db.commit(items), maxBatch: 100, maxInFlight: 1, isolate: () => true });
    const first = [group.submit([1]), group.submit([2, 3])];
    await waitFor(() => db.batches.length === 1);
    expect(db.batches[0]).toEqual([1, 2, 3]);
    const second = [group.submit([4]), group.submit([5])];
    const third = group.submit([6]);
    expect(group.queued).toBe(3); // waiting for the one commit in flight
    db.releaseAll();
    expect(await Promise.all(first)).toEqual([['stored 1'], ['stored 2', 'stored 3']]);
    await waitFor(() => db.batches.length === 2);
    expect(db.batches[1]).toEqual([4, 5, 6]);
    db.releaseAll();
    expect(await Promise.all([...second, third])).toEqual([['stored 4'], ['stored 5'], ['stored 6']]);
  });

  it('never splits a submission and caps batches at maxBatch items', async () => {
    const db = recordingCommit();
    const group = new GroupCommit({ commit: (items: number[]) => db.commit(items), maxBatch: 4, maxInFlight: 3, isolate: () => true });
    const all = [group.submit([1, 2, 3]), group.submit([4, 5]), group.submit([6]), group.submit([7, 8, 9, 10, 11])];
    await waitFor(() => db.batches.length === 3);
    expect(db.batches).toEqual([[1, 2, 3], [4, 5, 6], [7, 8, 9, 10, 11]]);
    db.releaseAll();
    expect((await Promise.all(all)).flat()).toHaveLength(11);
  });

  it('retries a failed batch one submission at a time so that only the bad one fails', async () => {
    const batches: number[][] = [];
    const commit = async (items: number[]) => {
      batches.push(items);
      if (items.includes(13)) throw new Error('bad item 13');
      return items.map((n) => `stored ${n}`);
    };
    const group = new GroupCommit({ commit, maxBatch: 100, maxInFlight: 1, isolate: () => true });
    const [good, bad, alsoGood] = [group.submit([1, 2]), group.submit([13]), group.submit([3])];
    expect(await good).toEqual(['stored 1', 'stored 2']);
    await expect(bad).rejects.toThrow('bad item 13');
    expect(await alsoGood).toEqual(['stored 3']);
    expect(batches).toEqual([[1, 2, 13, 3], [1, 2], [13], [3]]);
  });

  it('fails every submission at once when the failure is shared (isolate says no)', async () => {
    const db = recordingCommit();
    db.failWhen(() => new Error('database unavailable'));
    const group = new GroupCommit({ commit: (items: number[]) => db.commit(items), maxBatch: 100, maxInFlight: 1, isolate: () => false });
    const all = [group.submit([1]), group.submit([2])];
    await waitFor(() => db.pending.length === 1);
    db.releaseAll();
    for (const submission of all) await expect(submission).rejects.toThrow('database unavailable');
    expect(db.batches).toEqual([[1, 2]]);
  });

  it('rejects instead of mismatching results when the commit returns the wrong count', async () => {
    const group = new GroupCommit({ commit: async (items: number[]) => items.slice(1), maxBatch: 10, maxInFlight: 1, isolate: () => false });
    await expect(group.submit([1, 2])).rejects.toThrow('group commit returned 1 results for 2 items');
    expect(await group.submit([])).toEqual([]);
  });

  describe('with a linger', () => {
    beforeEach(() => {
      vi.useFakeTimers();
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    /** One commit in flight at most, so that what arrives during a commit queues behind it. */
    function oneCommitInFlight(lingerMs: number) {
      const db = recordingCommit();
      const group = new GroupCommit({ commit: (items: number[]) => db.commit(items), maxBatch: 100, maxInFlight: 1, isolate: () => true, lingerMs });
      return { db, group };
    }

    it('lets a submission that finds the queue idle wait lingerMs for others, then commits them together', async () => {
      const { db, group } = oneCommitInFlight(5);
      const first = group.submit([1]);
      await vi.advanceTimersByTimeAsync(4);
      expect(db.batches).toEqual([]);
      const second = group.submit([2]);
      await vi.advanceTimersByTimeAsync(1);
      expect(db.batches).toEqual([[1, 2]]);
      db.releaseAll();
      expect(await Promise.all([first, second])).toEqual([['stored 1'], ['stored 2']]);
    });

    it('lets what is submitted after a commit ends, in the same turn of the event loop, join the next batch', async () => {
      // No linger: the plain default. The commit's reply settles in microtasks; SENDs read from other
      // sockets in the same I/O phase come after those and must still share the next statement.
      const { db, group } = oneCommitInFlight(0);
      const first = group.submit([1]);
      await vi.advanceTimersByTimeAsync(0);
      const queued = group.submit([2]);
      db.releaseAll();
      for (let i = 0; i < 10; i++) await Promise.resolve();
      expect(await first).toEqual(['stored 1']);
      const sameTurn = group.submit([3]);
      await vi.advanceTimersByTimeAsync(0);
      expect(db.batches).toEqual([[1], [2, 3]]);
      db.releaseAll();
      expect(await Promise.all([queued, sameTurn])).toEqual([['stored 2'], ['stored 3']]);
    });

    it('commits what queued behind a commit as soon as that commit ends, without lingering again', async () => {
      const { db, group } = oneCommitInFlight(50);
      const first = group.submit([1]);
      await vi.advanceTimersByTimeAsync(50);
      const queued = [group.submit([2]), group.submit([3])];
      expect(group.queued).toBe(2);
      db.releaseAll();
      // No time passes: the next batch goes as soon as the commit ends.
      await vi.advanceTimersByTimeAsync(0);
      expect(db.batches).toEqual([[1], [2, 3]]);
      db.releaseAll();
      expect(await first).toEqual(['stored 1']);
      expect(await Promise.all(queued)).toEqual([['stored 2'], ['stored 3']]);
      // Idle again: the next submission lingers anew.
      const later = group.submit([4]);
      await vi.advanceTimersByTimeAsync(49);
      expect(db.batches).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(1);
      expect(db.batches[2]).toEqual([4]);
      db.releaseAll();
      expect(await later).toEqual(['stored 4']);
    });
  });
});

describe('LanedGroupCommit', () => {
  const keyed = (key: string, n: number) => ({ key, n });
  const twoKeysOnDifferentLanes = (lanes: number): [string, string] => {
    const first = 'room-0';
    for (let i = 1; ; i++) if (laneOf(`room-${i}`, lanes) !== laneOf(first, lanes)) return [first, `room-${i}`];
  };

  it('commits different lanes at once, one commit in flight per lane, each key in submission order', async () => {
    const batches: Array<Array<{ key: string; n: number }>> = [];
    const pending: Array<() => void> = [];
    const group = new LanedGroupCommit({
      commit: (items: Array<{ key: string; n: number }>) => {
        batches.push(items);
        return new Promise<number[]>((resolve) => pending.push(() => resolve(items.map((i) => i.n))));
      },
      maxBatch: 100,
      lanes: 4,
      keyOf: (items) => items[0]!.key,
      isolate: () => true,
    });
    const [a, b] = twoKeysOnDifferentLanes(4);
    const first = [group.submit([keyed(a, 1)]), group.submit([keyed(b, 2)])];
    // Two lanes: both commits are in flight together.
    await waitFor(() => batches.length === 2);
    const second = [group.submit([keyed(a, 3)]), group.submit([keyed(a, 4)])];
    await new Promise((resolve) => setImmediate(resolve));
    // a's lane still has its first commit in flight: its next submissions wait and then form one batch.
    expect(batches).toHaveLength(2);
    expect(group.queued).toBe(2);
    for (const release of pending.splice(0)) release();
    expect(await Promise.all(first)).toEqual([[1], [2]]);
    await waitFor(() => batches.length === 3);
    expect(batches[2]).toEqual([keyed(a, 3), keyed(a, 4)]);
    for (const release of pending.splice(0)) release();
    expect(await Promise.all(second)).toEqual([[3], [4]]);
    expect(await group.submit([])).toEqual([]);
  });

  it('spreads keys over every lane and keeps a key on one lane', () => {
    const lanes = new Set(Array.from({ length: 200 }, (_, i) => laneOf(`0b6f1c2e-7d4a-4f3b-9a1e-${String(i).padStart(12, '0')}`, 8)));
    expect(lanes.size).toBe(8);
    expect(laneOf('some-room', 8)).toBe(laneOf('some-room', 8));
    expect(() => new LanedGroupCommit({ commit: async () => [], maxBatch: 1, lanes: 0, keyOf: () => '', isolate: () => true })).toThrow(RangeError);
  });
});
