/** Wire types of the Chorus REST and STOMP API, as seen by the browser. */
import type { AttachmentInfo, MemberRoom, Message, MessageSender, Room, User } from '@chorus/core';

export type { AttachmentInfo, MemberRoom, Message, MessageSender, Room };

/** The account as the auth endpoints return it. */
export type Account = Pick<User, 'id' | 'username' | 'email'>;

export interface AuthResult {
  user: Account;
  token: string;
}

export interface RoomPage {
  rooms: Room[];
  nextCursor: string | null;
}

export interface HistoryRange {
  before?: number;
  after?: number;
  limit: number;
}

/** Body of a MESSAGE on /user/queue/errors: a refused SEND or SUBSCRIBE. */
export interface StompUserError {
  code: string;
  message: string;
  receiptId?: string;
  destination?: string;
  /** Seconds to wait before retrying, for rate_limited. */
  retryAfter?: number;
}

/** Body of a MESSAGE on /user/queue/unread. */
export interface UnreadEvent {
  roomId: string;
  lastSeq: number;
  unread: number;
}
