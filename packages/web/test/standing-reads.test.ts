import { describe, expect, it } from 'vitest';
import type { RoomSettings, RoomStanding } from '../src/client/state/room-standing.js';
import { StandingReads } from '../src/client/state/standing-reads.js';

const roomId = '0b7c8f2e-6a51-4c1e-9d3a-2f4e5a6b7c8d';
const settings = (change: Partial<RoomSettings> = {}): RoomSettings => ({ roomId, name: 'general', topic: '', announcement: false, slowModeSeconds: 0, ...change });
const standing = (change: Partial<RoomStanding> = {}): RoomStanding => ({ ...settings(), role: 'member', timedOutUntil: null, ...change });

describe('standing reads against live settings events', () => {
  it('shows a read as answered when no event crossed it', () => {
    const reads = new StandingReads();
    reads.event(settings({ name: 'before the read' }));
    const read = reads.start();
    expect(reads.answered(read, standing({ name: 'read' }))).toEqual(standing({ name: 'read' }));
  });

  it('lays an event that arrived while the read was in flight over its (possibly older) answer', () => {
    const reads = new StandingReads();
    const read = reads.start();
    reads.event(settings({ name: 'renamed', slowModeSeconds: 0 }));
    // Served before the rename committed: old name, old slow mode; the role is the read's own.
    const shown = reads.answered(read, standing({ name: 'general', slowModeSeconds: 60, role: 'moderator' }));
    expect(shown).toEqual(standing({ name: 'renamed', slowModeSeconds: 0, role: 'moderator' }));
  });

  it('drops a read answered after a newer one', () => {
    const reads = new StandingReads();
    const older = reads.start();
    const newer = reads.start();
    expect(reads.answered(newer, standing({ role: 'moderator' }))?.role).toBe('moderator');
    expect(reads.answered(older, standing({ role: 'member' }))).toBeNull();
  });

  it('ignores an event of another room', () => {
    const reads = new StandingReads();
    const read = reads.start();
    reads.event({ ...settings({ name: 'elsewhere' }), roomId: 'another-room' });
    expect(reads.answered(read, standing())).toEqual(standing());
  });
});
