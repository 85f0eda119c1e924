import { describe, expect, it } from 'vitest';
import { memberActions, parseSettingsEvent, postingBlock, slowModeWait, type RoomStanding } from '../src/client/state/room-standing.js';

const roomId = '0b7c8f2e-6a51-4c1e-9d3a-2f4e5a6b7c8d';
const settings = { roomId, name: 'general', topic: 'hi', announcement: false, slowModeSeconds: 0, version: 3 };
const standing = (change: Partial<RoomStanding>): RoomStanding => ({ ...settings, role: 'member', timedOutUntil: null, ...change });

describe('room standing', () => {
  it('reads a settings event of its room only, and nothing malformed', () => {
    expect(parseSettingsEvent(roomId, { type: 'settings', roomId, settings, extra: 1 })).toEqual(settings);
    expect(parseSettingsEvent(roomId, { type: 'settings', roomId: 'other', settings })).toBeNull();
    expect(parseSettingsEvent(roomId, { type: 'typing', roomId, settings })).toBeNull();
    expect(parseSettingsEvent(roomId, { type: 'settings', roomId, settings: { ...settings, slowModeSeconds: '5' } })).toBeNull();
    expect(parseSettingsEvent(roomId, { type: 'settings', roomId, settings: { ...settings, roomId: 'other' } })).toBeNull();
    const { version: _version, ...unversioned } = settings;
    expect(parseSettingsEvent(roomId, { type: 'settings', roomId, settings: unversioned })).toBeNull();
    expect(parseSettingsEvent(roomId, { type: 'settings', roomId, settings: { ...settings, version: 1.5 } })).toBeNull();
    expect(parseSettingsEvent(roomId, null)).toBeNull();
  });

  it('closes the composer for members of announcement rooms and while timed out, not for moderators', () => {
    expect(postingBlock(standing({ announcement: true }))).toEqual({ note: 'Only moderators can post here', until: null });
    expect(postingBlock(standing({ announcement: true, role: 'moderator' }))).toBeNull();
    expect(postingBlock(standing({ announcement: true, role: 'owner' }))).toBeNull();
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(postingBlock(standing({ timedOutUntil: '2026-01-01T00:05:00Z' }), now)).toEqual({ note: 'You are timed out in this room', until: now + 300_000 });
    expect(postingBlock(standing({ timedOutUntil: '2025-12-31T23:59:00Z' }), now)).toBeNull();
    expect(slowModeWait(standing({ slowModeSeconds: 30 }))).toBe(30);
    expect(slowModeWait(standing({ slowModeSeconds: 30, role: 'moderator' }))).toBe(0);
  });

  it('offers only what room-rules allow: nothing on oneself, the owner or equals', () => {
    const target = (role: 'owner' | 'moderator' | 'member') => ({ userId: 'u2', username: 'x', role });
    expect(memberActions('owner', 'u1', target('member'))).toEqual(['promote', 'transfer', 'kick', 'ban', 'timeout']);
    expect(memberActions('owner', 'u1', target('moderator'))).toEqual(['demote', 'transfer', 'kick', 'ban', 'timeout']);
    expect(memberActions('moderator', 'u1', target('member'))).toEqual(['kick', 'ban', 'timeout']);
    expect(memberActions('moderator', 'u1', target('moderator'))).toEqual([]);
    expect(memberActions('moderator', 'u1', target('owner'))).toEqual([]);
    expect(memberActions('member', 'u1', target('member'))).toEqual([]);
    expect(memberActions(null, 'u1', target('member'))).toEqual([]);
    expect(memberActions('owner', 'u2', target('member'))).toEqual([]);
  });
});
