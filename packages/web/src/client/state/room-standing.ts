import type { ModerationLogEntry, RoomBan, RoomMember, RoomRole, RoomSettings, RoomStanding } from '@chorus/core';
import { isModerator, outranks } from '@chorus/core/room-rules';
import type { RoomSettingsEvent } from '@chorus/protocol';

export type { ModerationLogEntry, RoomBan, RoomMember, RoomRole, RoomSettings, RoomStanding };

/** Reads a `/topic/rooms/<id>/settings` body (a RoomSettingsEvent) for `roomId`, or null. */
export function parseSettingsEvent(roomId: string, body: unknown): RoomSettings | null {
  if (!isRecord(body) || body.type !== ('settings' satisfies RoomSettingsEvent['type']) || body.roomId !== roomId) return null;
  const s = body.settings;
  if (!isRecord(s) || s.roomId !== roomId || typeof s.name !== 'string' || typeof s.topic !== 'string') return null;
  if (typeof s.announcement !== 'boolean' || typeof s.slowModeSeconds !== 'number' || !Number.isSafeInteger(s.version)) return null;
  return { roomId, name: s.name, topic: s.topic, announcement: s.announcement, slowModeSeconds: s.slowModeSeconds, version: s.version as number };
}

/** Why the composer is closed for this user right now (no countdown), or null when they may post. */
export function postingBlock(standing: RoomStanding, now = Date.now()): { note: string; until: number | null } | null {
  if (standing.timedOutUntil !== null) {
    const until = Date.parse(standing.timedOutUntil);
    if (until > now) return { note: 'You are timed out in this room', until };
  }
  if (standing.announcement && !isModerator(standing.role)) return { note: 'Only moderators can post here', until: null };
  return null;
}

/** Seconds this user waits after a message of theirs (slow mode applies to members only). */
export function slowModeWait(standing: RoomStanding): number {
  return standing.role === 'member' ? standing.slowModeSeconds : 0;
}

export type MemberAction = 'promote' | 'demote' | 'transfer' | 'kick' | 'ban' | 'timeout';

/** What `me` (with `myRole`) may do to `target`, by room-rules: nothing to oneself or to those not ranked below. */
export function memberActions(myRole: RoomRole | null, meId: string, target: RoomMember): MemberAction[] {
  if (myRole === null || target.userId === meId || !outranks(myRole, target.role)) return [];
  const actions: MemberAction[] = [];
  if (myRole === 'owner') actions.push(target.role === 'moderator' ? 'demote' : 'promote', 'transfer');
  if (isModerator(myRole)) actions.push('kick', 'ban', 'timeout');
  return actions;
}

export { isModerator };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
