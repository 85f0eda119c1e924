import { describe, expect, it } from 'vitest';
import type { RoomSettings, RoomStanding } from '../src/client/state/room-standing.js';
import { StandingReads } from '../src/client/state/standing-reads.js';

const roomId = '0b7c8f2e-6a51-4c1e-9d3a-2f4e5a6b7c8d';
const settings = (change: Partial<RoomSettings> = {}): RoomSettings => ({ roomId, name: 'general', topic: '', announcement: false, slowModeSeconds: 0, version: 0, ...change });
const standing = (change: Partial<RoomStanding> = {}): RoomStanding => ({ ...settings(), role: 'member', timedOutUntil: null, ...change });

describe('standing reads against live settings events', () => {
  it('shows a read as answered when it is at least as new as every event seen', () => {
    const reads = new StandingReads();
    expect(reads.settings(settings({ name: 'before the read', version: 1 }))).toBe(true);
    const read = reads.start();
    expect(reads.answered(read, standing({ name: 'read', version: 1 }))).toEqual(standing({ name: 'read', version: 1 }));
  });

  it('lays newer settings that arrived while the read was in flight over its older answer', () => {
    const reads = new StandingReads();
    const read = reads.start();
    expect(reads.settings(settings({ name: 'renamed', slowModeSeconds: 0, version: 3 }))).toBe(true);
    // Served before the rename committed: old name, old slow mode; the role is the read's own.
    const shown = reads.answered(read, standing({ name: 'general', slowModeSeconds: 60, role: 'moderator', version: 2 }));
    expect(shown).toEqual(standing({ name: 'renamed', slowModeSeconds: 0, role: 'moderator', version: 3 }));
  });

  it('keeps a read served after the event it crossed: its settings are as new or newer', () => {
    const reads = new StandingReads();
    const read = reads.start();
    reads.settings(settings({ name: 'renamed', version: 3 }));
    // Served after a fourth change whose event is still on its way.
    const shown = reads.answered(read, standing({ name: 'renamed', topic: 'later', version: 4 }));
    expect(shown).toEqual(standing({ name: 'renamed', topic: 'later', version: 4 }));
    // That event arrives: nothing newer, nothing to show.
    expect(reads.settings(settings({ name: 'renamed', topic: 'later', version: 4 }))).toBe(false);
  });

  it('drops settings older than those seen: events overtaken by a later one, a change answered after a newer event', () => {
    const reads = new StandingReads();
    // Two moderators on different replicas: the later change's event arrives first.
    expect(reads.settings(settings({ slowModeSeconds: 30, version: 6 }))).toBe(true);
    expect(reads.settings(settings({ slowModeSeconds: 10, version: 5 }))).toBe(false);
    // This tab's own change (version 7) answered after the event of a change made after it (version 8).
    expect(reads.settings(settings({ topic: 'theirs', version: 8 }))).toBe(true);
    expect(reads.settings(settings({ topic: 'mine', version: 7 }))).toBe(false);
    // And a read from before all of them shows the newest.
    expect(reads.answered(reads.start(), standing({ version: 4 }))).toEqual(standing({ topic: 'theirs', version: 8 }));
  });

  it('drops a read answered after a newer one', () => {
    const reads = new StandingReads();
    const older = reads.start();
    const newer = reads.start();
    expect(reads.answered(newer, standing({ role: 'moderator' }))?.role).toBe('moderator');
    expect(reads.answered(older, standing({ role: 'member' }))).toBeNull();
  });

  it('compares versions within one room only', () => {
    const reads = new StandingReads();
    reads.settings({ ...settings({ name: 'elsewhere', version: 9 }), roomId: 'another-room' });
    expect(reads.answered(reads.start(), standing({ version: 1 }))).toEqual(standing({ version: 1 }));
    expect(reads.settings(settings({ name: 'renamed', version: 2 }))).toBe(true);
  });
});
