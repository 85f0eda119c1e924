/**
 * The STOMP destinations Chorus understands, parsed and built here only (server and
 * web client alike). Parsing is strict: anything else is `unknown` and gets a clear
 * error, never a silent subscription.
 */
export type Destination =
  | { kind: 'room'; roomId: string }
  | { kind: 'room-presence'; roomId: string }
  | { kind: 'room-typing'; roomId: string }
  | { kind: 'room-settings'; roomId: string }
  | { kind: 'user-queue'; queue: string }
  | { kind: 'send-room'; roomId: string }
  | { kind: 'send-typing'; roomId: string }
  /** Edit a message: JSON body `{"messageId": "<id>", "text": "..."}`. */
  | { kind: 'send-edit'; roomId: string }
  /** Delete a message: JSON body `{"messageId": "<id>"}`. */
  | { kind: 'send-delete'; roomId: string }
  | { kind: 'unknown' }
  /** Add or take back a reaction: JSON body `{"messageId": "<id>", "emoji": "👍", "remove"?: true}`. */
  | { kind: 'send-react'; roomId: string };

const ROOM_ID = '([0-9a-fA-F-]{36})';
const TOPIC_ROOM = new RegExp(`^/topic/rooms/${ROOM_ID}(?:/(presence|typing|settings))?$`);
const APP_ROOM = new RegExp(`^/app/rooms/${ROOM_ID}(?:/(typing|edit|delete|react))?$`);
const USER_QUEUE = /^\/user\/queue\/([a-z][a-z0-9-]{0,31})$/;

export function parseDestination(destination: string): Destination {
  let m = TOPIC_ROOM.exec(destination);
  if (m) {
    const roomId = m[1]!.toLowerCase();
    if (m[2] === 'presence') return { kind: 'room-presence', roomId };
    if (m[2] === 'typing') return { kind: 'room-typing', roomId };
    if (m[2] === 'settings') return { kind: 'room-settings', roomId };
    return { kind: 'room', roomId };
  }
  m = APP_ROOM.exec(destination);
  if (m) {
    const roomId = m[1]!.toLowerCase();
    if (m[2] === 'typing') return { kind: 'send-typing', roomId };
    if (m[2] === 'edit') return { kind: 'send-edit', roomId };
    if (m[2] === 'delete') return { kind: 'send-delete', roomId };
    if (m[2] === 'react') return { kind: 'send-react', roomId };
    return { kind: 'send-room', roomId };
  }
  m = USER_QUEUE.exec(destination);
  if (m) return { kind: 'user-queue', queue: m[1]! };
  return { kind: 'unknown' };
}

/** The user queues: refusals of the session's frames, and unread counts. */
export const USER_ERRORS_QUEUE = 'errors';
export const UNREAD_QUEUE = 'unread';

/** The ephemeral event streams of a room. */
export type RoomEventType = 'presence' | 'typing' | 'settings';

/** Where a room's messages are delivered (SUBSCRIBE). */
export const roomTopicDestination = (roomId: string) => `/topic/rooms/${roomId}`;
/** Where a room's presence, typing or settings events are delivered (SUBSCRIBE). */
export const roomEventsDestination = (roomId: string, type: RoomEventType) => `/topic/rooms/${roomId}/${type}`;
/** Where a message to a room is sent (SEND). */
export const roomSendDestination = (roomId: string) => `/app/rooms/${roomId}`;
/** Where a typing indicator for a room is sent (SEND). */
export const typingSendDestination = (roomId: string) => `/app/rooms/${roomId}/typing`;
/** Where an edit of a message is sent (SEND, body `{"messageId","text"}`); the sender, within the edit window. */
export const editSendDestination = (roomId: string) => `/app/rooms/${roomId}/edit`;
/** Where a delete of a message is sent (SEND, body `{"messageId"}`); the sender or the room's creator. */
export const deleteSendDestination = (roomId: string) => `/app/rooms/${roomId}/delete`;
/** A queue of the connected user (SUBSCRIBE). */
export const userQueueDestination = (queue: string) => `/user/queue/${queue}`;
/** Where a reaction is added or taken back (SEND, body `{"messageId","emoji","remove"?}`); any member. */
export const reactSendDestination = (roomId: string) => `/app/rooms/${roomId}/react`;
