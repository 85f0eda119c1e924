import { describe, expect, it } from 'vitest';
import type { MemberRoom, Message } from '../src/client/api/types.js';
import { RoomStore } from '../src/client/state/room-store.js';

function room(id: string, lastSeq: number, unread = 0): MemberRoom {
  return {
    id,
    name: id,
    private: false,
    createdBy: 'u',
    createdAt: '2026-01-01T00:00:00.000Z',
    memberCount: 2,
    lastSeq,
    lastReadSeq: lastSeq - unread,
    unread,
    mentions: 0,
  };
}

function msg(seq: number): Message {
  return { id: `m${seq}`, roomId: 'a', seq, type: 'text', sender: { id: 'u', username: 'u' }, text: 't', createdAt: '2026-01-01T00:00:00.000Z' };
}

describe('RoomStore', () => {
  it('reports rooms that appeared and disappeared, in server order', () => {
    const store = new RoomStore();
    expect(store.merge([room('a', 1), room('b', 2)])).toEqual({ added: ['a', 'b'], removed: [] });
    expect(store.merge([room('c', 0), room('a', 1)])).toEqual({ added: ['c'], removed: ['b'] });
    expect(store.ids()).toEqual(['c', 'a']);
  });

  it('keeps loaded timelines and never moves lastSeq backwards', () => {
    const store = new RoomStore();
    store.merge([room('a', 2)]);
    const state = store.get('a')!;
    state.timeline.loadLatest([msg(1), msg(2), msg(3)], 50);
    state.room.lastSeq = 3;
    store.merge([room('a', 2, 1)]); // a listing taken before message 3 was stored
    expect(store.get('a')!.timeline).toBe(state.timeline);
    expect(store.get('a')!.room.lastSeq).toBe(3);
    expect(store.get('a')!.room.unread).toBe(1);
  });

  it('resumes a subscription after the newest seq it knows', () => {
    const store = new RoomStore();
    store.merge([room('a', 5)]);
    expect(store.since('a')).toBe(5);
    store.get('a')!.timeline.loadLatest([msg(5), msg(6)], 50);
    expect(store.since('a')).toBe(6);
    expect(store.since('unknown')).toBe(0);
  });
});
