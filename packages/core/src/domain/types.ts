/** Wire and domain types shared by every Chorus service. Timestamps are ISO-8601 strings. */

export interface User {
  id: string;
  username: string;
  email: string;
  createdAt: string;
  isAdmin: boolean;
}

/** A user row with its password hash; never leaves the store/auth layer. */
export interface UserCredentials extends User {
  passwordHash: string;
}

export interface Room {
  id: string;
  name: string;
  private: boolean;
  createdBy: string;
  createdAt: string;
  memberCount: number;
  /** 'direct': the one-to-one room of two users (docs/conversations-dms.md); absent on other rooms. */
  kind?: 'direct';
}

/** A room as seen by one of its members. */
export interface MemberRoom extends Room {
  lastSeq: number;
  lastReadSeq: number;
  unread: number;
  /** Direct rooms: the other person. */
  direct?: DirectPeer;
  /** Unread text messages that mention this member (docs/conversations.md). */
  mentions: number;
}

export type MessageType = 'text' | 'join' | 'leave' | 'edit' | 'delete' | 'reaction';

/** Entries of a room's sequence that change an earlier message (not counted by push nor unread). */
export const LIFECYCLE_TYPES: readonly MessageType[] = ['edit', 'delete', 'reaction'];

export interface MessageSender {
  id: string;
  username: string;
}

/**
 * A stored chat message. `seq` is per room, assigned by the store, strictly
 * increasing and gap-free over the room's stored messages (first message is 1).
 */
export interface Message {
  id: string;
  roomId: string;
  seq: number;
  type: MessageType;
  sender: MessageSender;
  text: string;
  createdAt: string;
  /** Files sent with the message, in the order given; absent when there are none. */
  attachments?: AttachmentInfo[];
  /** Edit and delete entries: the message they change (same room). */
  targetId?: string;
  /** A text message's last edit (its `text` is the edited one). */
  editedAt?: string;
  /** A deleted text message (tombstone): its text is '' and it has no attachments. */
  deleted?: true;
  /** A reply: a short quote of the message it answers, as that message is now. */
  replyTo?: ReplyQuote;
  /** In the history of a direct room, for the member who blocks the sender: text, files and quote withheld. */
  hidden?: true;
  /**
   * A text message: its reactions, in the order first added (absent: none). A reaction entry:
   * its target's reactions right after the change. `mine` only in history pages (per reader).
   */
  reactions?: ReactionCount[];
  /** A reaction entry: the emoji the sender added, or took back (`removed`). */
  reaction?: { emoji: string; removed?: true };
  /** A text message: ids of the room members it mentions with `@username`. */
  mentions?: string[];
}

/** One emoji's reactions on a message. */
export interface ReactionCount {
  emoji: string;
  count: number;
  /** In history pages: the reader reacted with this emoji. */
  mine?: true;
}

/** A user's own settings (GET/PATCH /api/me/settings). */
export interface UserSettings {
  /** A mention notifies (push) even in a room the user muted. */
  notifyMentionsWhenMuted: boolean;
}

/** The message a reply answers: its sender and first characters, or only `deleted` once deleted. */
export interface ReplyQuote {
  id: string;
  sender: MessageSender;
  /** The first REPLY_QUOTE_LENGTH characters ('' when deleted). */
  text: string;
  deleted?: true;
}

export const REPLY_QUOTE_LENGTH = 100;

/** An attachment as messages carry it (and as the upload answers it). */
export interface AttachmentInfo {
  id: string;
  name: string;
  /** Detected from the bytes, not taken from the client. */
  contentType: string;
  size: number;
  /** Images only. */
  width?: number;
  height?: number;
  /** GET this (authenticated) for the bytes. */
  url: string;
  /** Images with a thumbnail only: a small JPEG/PNG/WebP preview. */
  thumbnailUrl?: string;
}

export type DevicePlatform = 'android' | 'ios' | 'web';

export interface Device {
  token: string;
  userId: string;
  platform: DevicePlatform;
  createdAt: string;
  updatedAt: string;
}

/** A member's push mute of a room. `until` null: muted until unmuted. */
export interface RoomMute {
  roomId: string;
  userId: string;
  until: string | null;
}

/** Opaque pagination cursor page. `nextCursor` is null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The other person of a direct room. */
export interface DirectPeer {
  userId: string;
  username: string;
}

/** What user search and block lists show of a user: never the email. */
export interface UserSummary {
  id: string;
  username: string;
}
