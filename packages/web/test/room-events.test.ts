import { describe, expect, it } from 'vitest';
import { applyPresence, parsePresence, parseTyping } from '../src/client/state/room-events.js';

const ann = { id: 'a', username: 'ann' };
const bo = { id: 'b', username: 'bo' };

describe('parsePresence', () => {
  it('reads the presence events the server sends', () => {
    expect(parsePresence({ type: 'presence', roomId: 'r', user: ann, online: true })).toEqual({ kind: 'online', user: ann });
    expect(parsePresence({ type: 'presence', roomId: 'r', user: bo, online: false })).toEqual({ kind: 'offline', user: bo });
  });

  it('returns null for anything else, including shapes the server never sends', () => {
    for (const body of [
      null,
      'online',
      [],
      { type: 'online' },
      { user: ann },
      { type: 'dancing', user: ann },
      { type: 'presence', user: ann },
      { type: 'presence', user: { id: 1 }, online: true },
      { online: [bo, ann] },
      { type: 'online', user: ann },
      { event: 'leave', user: ann },
      { userId: 'a', username: 'ann', online: false },
      { status: 'connected', id: 'a', username: 'ann' },
    ]) {
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
  it('reads the typing events the server sends, and nothing else', () => {
    expect(parseTyping({ type: 'typing', roomId: 'r', user: ann })).toEqual({ user: ann, typing: true });
    expect(parseTyping({ user: ann })).toBeNull();
    expect(parseTyping({ sender: bo, typing: false })).toBeNull();
    expect(parseTyping({ userId: 'a', username: 'ann', typing: true })).toBeNull();
    expect(parseTyping({ typing: true })).toBeNull();
    expect(parseTyping(undefined)).toBeNull();
  });
});
