/**
 * The JSON bodies of the MESSAGE frames Chorus sends, by destination. The server builds
 * them from these types and the web client reads them as these types.
 */

export interface WireUser {
  id: string;
  username: string;
}

/**
 * On `/topic/rooms/<id>`: a stored entry of the room's sequence. `type: "edit"` and
 * `"delete"` entries change the earlier message `targetId` (an edit carries its new text);
 * history pages show messages as they are now (`editedAt`, or `deleted: true` with no text).
 */
export interface MessageBody {
  id: string;
  roomId: string;
  seq: number;
  type: string;
  sender: WireUser;
  text: string;
  createdAt: string;
  targetId?: string;
  editedAt?: string;
  deleted?: true;
  /** A reply: the answered message's id, sender and first characters (only `deleted` once deleted). */
  replyTo?: { id: string; sender: WireUser; text: string; deleted?: true };
  /**
   * A text message: its reactions (history pages mark the reader's own with `mine`). A
   * `type: "reaction"` entry: the target's reactions right after the change (docs/conversations.md).
   */
  reactions?: WireReaction[];
  /** A `type: "reaction"` entry: the emoji its sender added, or took back. */
  reaction?: { emoji: string; removed?: true };
  /** A text message: ids of the members it mentions. */
  mentions?: string[];
}

export interface WireReaction {
  emoji: string;
  count: number;
  mine?: true;
}

/** On `/topic/rooms/<id>/presence`: a user came online in the room (first connection anywhere) or went offline (last one gone). */
export interface PresenceEvent {
  type: 'presence';
  roomId: string;
  user: WireUser;
  online: boolean;
}

/** On `/topic/rooms/<id>/typing`: a user is typing in the room. */
export interface TypingEvent {
  type: 'typing';
  roomId: string;
  user: WireUser;
}

/** On `/topic/rooms/<id>/settings`: the room's settings right after a rename, topic, announcement or slow-mode change. */
export interface RoomSettingsEvent {
  type: 'settings';
  roomId: string;
  settings: WireRoomSettings;
}

/** A room's settings as owners and moderators set them (docs/moderation.md). */
export interface WireRoomSettings {
  roomId: string;
  name: string;
  /** '' when none. */
  topic: string;
  /** Only owners and moderators post. */
  announcement: boolean;
  /** One message per member per this many seconds; 0: off. */
  slowModeSeconds: number;
  /**
   * Moves up by one with every change, in commit order. Events can arrive out of that order
   * (replicas publish after their commits) or cross a GET of the settings: keep the highest version.
   */
  version: number;
}

/** On `/user/queue/unread`: the user's unread count in a room changed. */
export interface UnreadUpdate {
  roomId: string;
  lastSeq: number;
  unread: number;
  /** Unread messages in the room that mention the user. */
  mentions?: number;
}

/** On `/user/queue/errors`: a frame of this session was refused (the connection stays open). */
export interface ErrorBody {
  code: string;
  message: string;
  /** The refused frame's command. */
  command: string;
  receiptId?: string;
  destination?: string;
  /** Seconds to wait before retrying, for rate_limited. */
  retryAfter?: number;
}
