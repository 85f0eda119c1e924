/** Wire types of the Chorus REST and STOMP API, as seen by the browser. */
import type { AttachmentInfo, MemberRoom, Message, MessageSender, Room, User } from '@chorus/core';
import type { ErrorBody, UnreadUpdate } from '@chorus/protocol';

export type { AttachmentInfo, MemberRoom, Message, MessageSender, Room };

/** The account as the auth endpoints return it. */
export type Account = Pick<User, 'id' | 'username' | 'email'>;

/** A user as search and the block list return them: never an email. */
export type UserSummary = Pick<User, 'id' | 'username'>;

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

/** Body of a MESSAGE on /user/queue/errors (a refused SEND or SUBSCRIBE), as the app uses it. */
export type StompUserError = Omit<ErrorBody, 'command'>;

/** Body of a MESSAGE on /user/queue/unread. */
export type UnreadEvent = UnreadUpdate;
