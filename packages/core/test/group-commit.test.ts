import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GroupCommit, KeyedGroupCommit } from '../src/messaging/group-commit.js';

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

describe('KeyedGroupCommit', () => {
  interface Item {
    key: string;
    n: number;
  }
  const item = (key: string, n: number): Item => ({ key, n });

  /** A KeyedGroupCommit over a commit that records its batches and ends only when told to. */
  function keyed(options: { maxBatch?: number; maxInFlight?: number; minConcurrentBatch?: number; fail?: (items: Item[]) => Error | undefined } = {}) {
    const batches: Item[][] = [];
    const pending: Array<() => void> = [];
    let inFlight = 0;
    let mostInFlight = 0;
    // Keys of the commits in flight, and any key found in two at once.
    const busy = new Set<string>();
    const overlaps: string[] = [];
    const group = new KeyedGroupCommit<Item, number>({
      commit: (items) => {
        batches.push(items);
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        const keys = new Set(items.map((i) => i.key));
        for (const key of keys) (busy.has(key) ? overlaps : []).push(key);
        for (const key of keys) busy.add(key);
        return new Promise<number[]>((resolve, reject) =>
          pending.push(() => {
            inFlight--;
            for (const key of keys) busy.delete(key);
            const err = options.fail?.(items);
            if (err) reject(err);
            else resolve(items.map((i) => i.n));
          }),
        );
      },
      maxBatch: options.maxBatch ?? 100,
      maxInFlight: options.maxInFlight ?? 2,
      ...(options.minConcurrentBatch !== undefined ? { minConcurrentBatch: options.minConcurrentBatch } : {}),
      keyOf: (items) => items[0]!.key,
      isolate: () => true,
    });
    return {
      group,
      batches,
      pending,
      overlaps,
      get mostInFlight() {
        return mostInFlight;
      },
      releaseFirst: () => pending.shift()!(),
      releaseAll: () => {
        for (const release of pending.splice(0)) release();
      },
    };
  }
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

  it('puts every key of a turn in one batch, and what arrives behind a commit in the next one', async () => {
    const t = keyed({ minConcurrentBatch: 16 });
    const first = [t.group.submit([item('a', 1)]), t.group.submit([item('b', 2)]), t.group.submit([item('c', 3)])];
    await waitFor(() => t.batches.length === 1);
    expect(t.batches[0]).toEqual([item('a', 1), item('b', 2), item('c', 3)]);
    // Fewer than 16 sends behind the commit in flight: they wait for it rather than start a second one.
    const second = [t.group.submit([item('d', 4)]), t.group.submit([item('a', 5)]), t.group.submit([item('e', 6), item('e', 7)])];
    await nextTurn();
    await nextTurn();
    expect(t.batches).toHaveLength(1);
    expect(t.group.queued).toBe(3);
    t.releaseFirst();
    expect(await Promise.all(first)).toEqual([[1], [2], [3]]);
    await waitFor(() => t.batches.length === 2);
    expect(t.batches[1]).toEqual([item('d', 4), item('a', 5), item('e', 6), item('e', 7)]);
    t.releaseAll();
    expect(await Promise.all(second)).toEqual([[4], [5], [6, 7]]);
    expect(t.group.queued).toBe(0);
    expect(await t.group.submit([])).toEqual([]);
  });

  it('starts a commit beside one in flight for a batch of minConcurrentBatch items, never with a key in flight', async () => {
    const t = keyed({ minConcurrentBatch: 3, maxInFlight: 2 });
    const first = t.group.submit([item('a', 1)]);
    await waitFor(() => t.batches.length === 1);
    // Three items are waiting, but two are a's (in flight): one ready item is not enough.
    const waiting = [t.group.submit([item('a', 2), item('a', 3)]), t.group.submit([item('b', 4)])];
    await nextTurn();
    await nextTurn();
    expect(t.batches).toHaveLength(1);
    // Two more ready items make three: a second commit starts, without a's.
    const more = t.group.submit([item('c', 5), item('c', 6)]);
    await waitFor(() => t.batches.length === 2);
    expect(t.batches[1]).toEqual([item('b', 4), item('c', 5), item('c', 6)]);
    // maxInFlight is reached: even a big ready batch waits.
    const big = t.group.submit([item('d', 7), item('d', 8), item('d', 9)]);
    await nextTurn();
    await nextTurn();
    expect(t.batches).toHaveLength(2);
    t.releaseFirst();
    await waitFor(() => t.batches.length === 3);
    // a's commit ended: a's waiting sends go with d's, in a's submission order.
    expect(t.batches[2]).toEqual([item('a', 2), item('a', 3), item('d', 7), item('d', 8), item('d', 9)]);
    t.releaseAll();
    expect(await first).toEqual([1]);
    expect(await Promise.all(waiting)).toEqual([[2, 3], [4]]);
    expect(await more).toEqual([5, 6]);
    expect(await big).toEqual([7, 8, 9]);
    expect(t.mostInFlight).toBe(2);
    expect(t.overlaps).toEqual([]);
  });

  it('shares a backlog out over the free commit slots, by whole keys', async () => {
    const t = keyed({ maxInFlight: 2, minConcurrentBatch: 2 });
    const all = [t.group.submit([item('a', 1)]), t.group.submit([item('b', 2)]), t.group.submit([item('a', 3)]), t.group.submit([item('c', 4)]), t.group.submit([item('d', 5)])];
    await waitFor(() => t.batches.length === 2);
    // Five ready items over two slots: the first batch takes whole keys until it holds three.
    expect(t.batches.map((b) => b.map((i) => i.n))).toEqual([[1, 3, 2], [4, 5]]);
    t.releaseAll();
    expect(await Promise.all(all)).toEqual([[1], [2], [3], [4], [5]]);
    // One key alone is never split to share it out: the rest could only wait for the first part.
    const hot = Array.from({ length: 6 }, (_, i) => t.group.submit([item('h', 10 + i)]));
    await waitFor(() => t.batches.length === 3);
    await nextTurn();
    expect(t.batches).toHaveLength(3);
    expect(t.batches[2]!.map((i) => i.n)).toEqual([10, 11, 12, 13, 14, 15]);
    t.releaseAll();
    expect((await Promise.all(hot)).flat()).toEqual([10, 11, 12, 13, 14, 15]);
    expect(t.overlaps).toEqual([]);
  });

  it('caps batches at maxBatch items without splitting a submission, and keeps the rest of a key for later', async () => {
    const t = keyed({ maxBatch: 4, maxInFlight: 1 });
    const all = [
      t.group.submit([item('a', 1), item('a', 2), item('a', 3)]),
      t.group.submit([item('a', 4), item('a', 5)]),
      t.group.submit([item('b', 6)]),
      t.group.submit([item('c', 7), item('c', 8), item('c', 9), item('c', 10), item('c', 11)]),
    ];
    for (let i = 0; i < 3; i++) {
      await waitFor(() => t.batches.length === i + 1);
      t.releaseAll();
    }
    // a's second submission does not fit beside its first and waits (a's order holds); b's fits.
    expect(t.batches.map((b) => b.map((i) => i.n))).toEqual([[1, 2, 3, 6], [4, 5], [7, 8, 9, 10, 11]]);
    expect(await Promise.all(all)).toEqual([[1, 2, 3], [4, 5], [6], [7, 8, 9, 10, 11]]);
  });

  it('fails only the bad submission of a batch, and frees its key for the next commit', async () => {
    const t = keyed({ fail: (items) => (items.some((i) => i.n === 13) ? new Error('bad 13') : undefined) });
    const [good, bad, alsoGood] = [t.group.submit([item('a', 1)]), t.group.submit([item('b', 13)]), t.group.submit([item('c', 3)])];
    const badFails = expect(bad).rejects.toThrow('bad 13');
    await waitFor(() => t.batches.length === 1);
    t.releaseAll();
    // The retry commits each submission alone.
    for (let i = 2; i <= 4; i++) {
      await waitFor(() => t.batches.length === i);
      t.releaseAll();
    }
    expect(await good).toEqual([1]);
    await badFails;
    expect(await alsoGood).toEqual([3]);
    const again = t.group.submit([item('b', 14)]);
    await waitFor(() => t.batches.length === 5);
    t.releaseAll();
    expect(await again).toEqual([14]);
  });

  it('keeps every key in submission order with no key in two commits at once, under random timing', async () => {
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    const t = keyed({ maxBatch: 7, maxInFlight: 3, minConcurrentBatch: 2 });
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const results: Array<Promise<number[]>> = [];
    let n = 0;
    for (let round = 0; round < 200; round++) {
      const sends = Math.floor(random() * 4);
      for (let s = 0; s < sends; s++) {
        const key = keys[Math.floor(random() * keys.length)]!;
        const size = 1 + Math.floor(random() * 3);
        results.push(t.group.submit(Array.from({ length: size }, () => item(key, n++))));
      }
      await nextTurn();
      // End some of the commits in flight, in random order.
      while (t.pending.length > 0 && random() < 0.5) t.pending.splice(Math.floor(random() * t.pending.length), 1)[0]!();
    }
    while (t.group.queued > 0 || t.pending.length > 0) {
      t.releaseAll();
      await nextTurn();
    }
    const committed = (await Promise.all(results)).flat();
    expect(committed.sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
    // Per key, the batches' items appear in submission order.
    const seen = new Map<string, number>();
    for (const batch of t.batches) {
      for (const { key, n: value } of batch) {
        expect(value).toBeGreaterThan(seen.get(key) ?? -1);
        seen.set(key, value);
      }
    }
    expect(t.overlaps).toEqual([]);
    expect(t.mostInFlight).toBeLessThanOrEqual(3);
    expect(t.mostInFlight).toBeGreaterThan(1);
  });

  it('rejects sizes below one', () => {
    const base = { commit: async () => [], keyOf: () => '', isolate: () => true };
    expect(() => new KeyedGroupCommit({ ...base, maxBatch: 0, maxInFlight: 1 })).toThrow(RangeError);
    expect(() => new KeyedGroupCommit({ ...base, maxBatch: 1, maxInFlight: 0 })).toThrow(RangeError);
  });
});
