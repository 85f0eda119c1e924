import { describe, expect, it } from 'vitest';
import { SubscriptionTable } from '../src/stomp/subscription-table.js';

describe('SubscriptionTable', () => {
  it('behaves like a Map through adds, replacements and deletes in any order', () => {
    const table = new SubscriptionTable<number>();
    const model = new Map<string, number>();
    const ids = ['a', 'b', 'c', 'd'];
    // A fixed pseudo-random walk over set/delete, compared with a Map at every step.
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let step = 0; step < 2000; step++) {
      const id = ids[next() % ids.length]!;
      if (next() % 3 === 0) {
        expect(table.delete(id)).toBe(model.delete(id));
      } else {
        table.set(id, step);
        model.set(id, step);
      }
      expect(table.size).toBe(model.size);
      for (const probe of ids) {
        expect(table.has(probe)).toBe(model.has(probe));
        expect(table.get(probe)).toBe(model.get(probe));
      }
      expect(new Map([...table])).toEqual(model);
      expect([...table.values()].sort()).toEqual([...model.values()].sort());
    }
    table.clear();
    expect(table.size).toBe(0);
    expect([...table]).toEqual([]);
  });
});
