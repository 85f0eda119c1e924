import type { ModerationAction, ModerationLogEntry, RoomBan, RoomMember, RoomRole, RoomSettings } from '../domain/moderation.js';
import type { MembershipChange } from './store.js';

/** A moderation log row, written in the same transaction as the action it records. */
export interface NewModerationLogEntry {
  actorId: string;
  action: ModerationAction;
  targetId?: string | null;
  detail?: Record<string, unknown>;
}

/** One user's standing in one room, with the room's settings: everything the rules read. */
export interface ModerationState {
  room: RoomSettings & { private: boolean };
  /** null: not a member. */
  member: { role: RoomRole; lastSentAt: string | null } | null;
  banned: boolean;
  /** End of a timeout in force now, else null. */
  timedOutUntil: string | null;
}

export interface RoomSettingsPatch {
  name?: string;
  topic?: string;
  announcement?: boolean;
  slowModeSeconds?: number;
}

/**
 * The moderation part of the Store (implemented by SqlStore). The rules of who may do what are
 * the caller's (ModerationService); these methods only guard against races: a change names the
 * roles its target may hold, and writes nothing when the target's role changed meanwhile.
 * Every mutation writes its moderation log entry in the same transaction.
 */
export interface ModerationStore {
  /** null when the room does not exist. */
  getModerationState(roomId: string, userId: string): Promise<ModerationState | null>;
  /** Members with their roles, owner and moderators first, then by username; after `after` (a username) when given. */
  listRoomMembers(roomId: string, options: { limit: number; after?: string | undefined }): Promise<RoomMember[]>;
  /** Sets a member's role to moderator or member when their role is one of `from`; false when nothing changed. */
  setMemberRole(roomId: string, userId: string, role: 'moderator' | 'member', from: readonly RoomRole[], log: NewModerationLogEntry): Promise<boolean>;
  /** The owner `fromId` hands the room to member `toId` and becomes a moderator; false when either is not (any longer) so. */
  transferOwnership(roomId: string, fromId: string, toId: string, log: NewModerationLogEntry): Promise<boolean>;
  /**
   * Removes a member whose role is one of `from` (kick), storing their leave message; with `ban`
   * also records the ban (even when they are not a member). Not a departure: others may add a kicked user back.
   */
  removeMemberBy(roomId: string, userId: string, options: { ban: boolean; from: readonly RoomRole[] }, log: NewModerationLogEntry): Promise<MembershipChange>;
  /** Lifts a ban; false when there was none. */
  unbanUser(roomId: string, userId: string, log: NewModerationLogEntry): Promise<boolean>;
  listBans(roomId: string, options: { limit: number }): Promise<RoomBan[]>;
  isBanned(roomId: string, userId: string): Promise<boolean>;
  /** Times a user out until `until` (ISO-8601), or lifts the timeout (null). */
  setRoomTimeout(roomId: string, userId: string, until: string | null, log: NewModerationLogEntry): Promise<void>;
  /** Applies the patch; null when the room does not exist. One log entry per entry of `log`. */
  updateRoomSettings(roomId: string, patch: RoomSettingsPatch, log: readonly NewModerationLogEntry[]): Promise<RoomSettings | null>;
  /** Deletes the room and everything in it (messages, memberships, attachment rows, bans, log); returns who were members, or null when it did not exist. */
  deleteRoom(roomId: string): Promise<string[] | null>;
  appendModerationLog(roomId: string, entry: NewModerationLogEntry): Promise<void>;
  /** Newest first; entries with id below `before` when given. */
  listModerationLog(roomId: string, options: { limit: number; before?: number | undefined }): Promise<ModerationLogEntry[]>;
}
