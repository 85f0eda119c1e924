import { describe, expect, it } from 'vitest';
import { BoundedWork } from '../src/index.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('BoundedWork', () => {
  it('runs at most `concurrency` tasks, queues `maxQueued`, refuses the rest with 429 and Retry-After', async () => {
    const work = new BoundedWork(2, 1, 'busy');
    const gates = [deferred(), deferred(), deferred()];
    const started: number[] = [];
    const runs = gates.map((gate, i) =>
      work.run(async () => {
        started.push(i);
        await gate.promise;
        return i;
      }),
    );
    // The first two run at once; the third waits in the queue.
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect({ active: work.active, queued: work.queued }).toEqual({ active: 2, queued: 1 });
    await expect(work.run(async () => 'never')).rejects.toMatchObject({ code: 'rate_limited', status: 429, retryAfter: 1, message: 'busy' });
    gates[0]!.resolve();
    await runs[0];
    // The finished task handed its slot to the queued one.
    expect(started).toEqual([0, 1, 2]);
    for (const gate of gates) gate.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
    expect(started).toEqual([0, 1, 2]);
    expect({ active: work.active, queued: work.queued }).toEqual({ active: 0, queued: 0 });
  });

  it('frees the slot of a task that throws', async () => {
    const work = new BoundedWork(1, 0);
    await expect(work.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await work.run(async () => 'next')).toBe('next');
    expect(work.active).toBe(0);
  });
});
