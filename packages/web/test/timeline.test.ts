import { describe, expect, it } from 'vitest';
import type { Message } from '../src/client/api/types.js';
import { Timeline } from '../src/client/state/timeline.js';

function msg(seq: number): Message {
  return {
    id: `m${seq}`,
    roomId: 'r',
    seq,
    type: 'text',
    sender: { id: 'u', username: 'u' },
    text: `message ${seq}`,
    createdAt: new Date(1_700_000_000_000 + seq * 1000).toISOString(),
  };
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => msg(from + i));
const seqs = (t: Timeline) => t.messages.map((m) => m.seq);

describe('Timeline', () => {
  it('loads the latest page and knows whether older messages exist', () => {
    const full = new Timeline();
    full.loadLatest(range(51, 100), 50);
    expect(full.loaded).toBe(true);
    expect(full.reachedStart).toBe(false);
    expect([full.oldestSeq, full.newestSeq]).toEqual([51, 100]);

    const short = new Timeline();
    short.loadLatest(range(1, 7), 50);
    expect(short.reachedStart).toBe(true);

    const empty = new Timeline();
    empty.loadLatest([], 50);
    expect([empty.oldestSeq, empty.newestSeq, empty.reachedStart]).toEqual([null, 0, true]);
  });

  it('appends live messages in order and ignores duplicates from replays', () => {
    const t = new Timeline();
    t.loadLatest(range(1, 3), 50);
    expect(t.addNewer([msg(4)])).toEqual({ added: [msg(4)], gap: false });
    // A replay after reconnect repeats what we have, then continues.
    const result = t.addNewer([msg(3), msg(4), msg(5), msg(6)]);
    expect(result.added.map((m) => m.seq)).toEqual([5, 6]);
    expect(result.gap).toBe(false);
    expect(seqs(t)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('sorts a batch that arrives out of order', () => {
    const t = new Timeline();
    t.loadLatest(range(1, 2), 50);
    expect(t.addNewer([msg(5), msg(3), msg(4)]).added.map((m) => m.seq)).toEqual([3, 4, 5]);
  });

  it('reports a gap instead of storing past a hole', () => {
    const t = new Timeline();
    t.loadLatest(range(1, 5), 50);
    const result = t.addNewer([msg(6), msg(9), msg(10)]);
    expect(result.added.map((m) => m.seq)).toEqual([6]);
    expect(result.gap).toBe(true);
    expect(t.newestSeq).toBe(6);
    // Filling the hole from history then continues normally.
    expect(t.addNewer(range(7, 10)).added.map((m) => m.seq)).toEqual([7, 8, 9, 10]);
  });

  it('treats a first message other than seq 1 in an empty room as a gap', () => {
    const t = new Timeline();
    t.loadLatest([], 50);
    expect(t.addNewer([msg(3)])).toEqual({ added: [], gap: true });
  });

  it('prepends older pages, keeping the run contiguous', () => {
    const t = new Timeline();
    t.loadLatest(range(101, 150), 50);
    expect(t.prependOlder(range(51, 100), 50).map((m) => m.seq)).toEqual(range(51, 100).map((m) => m.seq));
    expect(t.reachedStart).toBe(false);
    // A page overlapping what is loaded only contributes what is older.
    expect(t.prependOlder(range(40, 60), 50).map((m) => m.seq)).toEqual(range(40, 50).map((m) => m.seq));
    expect(t.reachedStart).toBe(true); // fewer than the limit came back
    expect(seqs(t)).toEqual(range(40, 150).map((m) => m.seq));
  });

  it('refuses an older page that does not meet the loaded run', () => {
    const t = new Timeline();
    t.loadLatest(range(101, 150), 50);
    expect(t.prependOlder(range(10, 20), 50)).toEqual([]);
    expect(t.oldestSeq).toBe(101);
  });

  it('knows it reached the start when seq 1 is loaded', () => {
    const t = new Timeline();
    t.loadLatest(range(51, 100), 50);
    t.prependOlder(range(1, 50), 50);
    expect(t.reachedStart).toBe(true);
  });
});
