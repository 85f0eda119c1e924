import { describe, expect, it } from 'vitest';
import { applyPresence, parsePresence, parseTyping } from '../src/client/state/room-events.js';

const ann = { id: 'a', username: 'ann' };
const bo = { id: 'b', username: 'bo' };

describe('parsePresence', () => {
  it('reads snapshots and the usual delta shapes', () => {
    expect(parsePresence({ online: [bo, ann, { id: 1 }] })).toEqual({ kind: 'snapshot', online: [bo, ann] });
    expect(parsePresence({ type: 'online', user: ann })).toEqual({ kind: 'online', user: ann });
    expect(parsePresence({ event: 'leave', user: ann })).toEqual({ kind: 'offline', user: ann });
    expect(parsePresence({ userId: 'a', username: 'ann', online: false })).toEqual({ kind: 'offline', user: ann });
    expect(parsePresence({ status: 'connected', id: 'a', username: 'ann' })).toEqual({ kind: 'online', user: ann });
  });

  it('returns null for anything it cannot read', () => {
    for (const body of [null, 'online', [], { type: 'online' }, { user: ann }, { type: 'dancing', user: ann }]) {
      expect(parsePresence(body)).toBeNull();
    }
  });
});

describe('applyPresence', () => {
  it('adds, removes and replaces, sorted by name and without duplicates', () => {
    let online = applyPresence([], { kind: 'online', user: bo });
    online = applyPresence(online, { kind: 'online', user: ann });
    online = applyPresence(online, { kind: 'online', user: ann });
    expect(online).toEqual([ann, bo]);
    expect(applyPresence(online, { kind: 'offline', user: bo })).toEqual([ann]);
    expect(applyPresence(online, { kind: 'snapshot', online: [bo] })).toEqual([bo]);
  });
});

describe('parseTyping', () => {
  it('reads the user and whether they type', () => {
    expect(parseTyping({ user: ann })).toEqual({ user: ann, typing: true });
    expect(parseTyping({ sender: bo, typing: false })).toEqual({ user: bo, typing: false });
    expect(parseTyping({ userId: 'a', username: 'ann', typing: true })).toEqual({ user: ann, typing: true });
    expect(parseTyping({ typing: true })).toBeNull();
    expect(parseTyping(undefined)).toBeNull();
  });
});
