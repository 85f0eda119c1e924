import type { RoomSettings } from '../domain/moderation.js';
import type { PresenceUser } from '../presence/presence.js';

/** Ephemeral room events on `topics.roomEvents(roomId)`; never stored. */
export type RoomEvent =
  | { type: 'presence'; roomId: string; user: PresenceUser; online: boolean }
  | { type: 'typing'; roomId: string; user: PresenceUser }
  /** The room's settings right after an owner or moderator changed them. */
  | { type: 'settings'; roomId: string; settings: RoomSettings };

/** Events for every session of one user on `topics.user(userId)`. */
export type UserEvent =
  /** The user's read position in a room moved (possibly from another device). */
  | { type: 'read'; roomId: string; lastReadSeq: number }
  /** The user joined or left a room (or was added to one). */
  | { type: 'rooms-changed'; roomId: string }
  /** A message for the user's `/user/queue/<queue>` subscriptions on every replica. */
  | { type: 'queue'; queue: string; body: unknown };
