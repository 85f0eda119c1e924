/** Room roles and moderation types (docs/moderation.md). */

export type RoomRole = 'owner' | 'moderator' | 'member';
export const ROOM_ROLES: readonly RoomRole[] = ['owner', 'moderator', 'member'];

/** What owners and moderators set on a room. */
export interface RoomSettings {
  roomId: string;
  name: string;
  /** '' when none. */
  topic: string;
  /** Only owners and moderators post. */
  announcement: boolean;
  /** One message per member per this many seconds; 0: off. */
  slowModeSeconds: number;
  /**
   * Moves up by one with every change, in commit order: of two copies of a room's settings
   * (live events, reads), the one with the higher version is the newer.
   */
  version: number;
}

/** The caller's standing in a room, as GET /api/rooms/:id/settings answers it. */
export interface RoomStanding extends RoomSettings {
  /** null: the caller is not a member (public rooms only). */
  role: RoomRole | null;
  /** When the caller's timeout ends (null: not timed out). */
  timedOutUntil: string | null;
}

export interface RoomMember {
  userId: string;
  username: string;
  role: RoomRole;
}

export interface RoomBan {
  userId: string;
  username: string;
  bannedBy: string | null;
  createdAt: string;
}

export type ModerationAction =
  | 'role'
  | 'transfer'
  | 'kick'
  | 'ban'
  | 'unban'
  | 'timeout'
  | 'slow-mode'
  | 'announcement'
  | 'rename'
  | 'topic'
  | 'delete-message';

export interface ModerationLogEntry {
  id: number;
  roomId: string;
  actorId: string | null;
  actorUsername: string | null;
  action: ModerationAction;
  targetId: string | null;
  detail: Record<string, unknown>;
  createdAt: string;
}
