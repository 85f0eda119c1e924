import { describe, expect, it } from 'vitest';
import {
  deleteSendDestination,
  editSendDestination,
  parseDestination,
  roomEventsDestination,
  roomSendDestination,
  roomTopicDestination,
  typingSendDestination,
  UNREAD_QUEUE,
  USER_ERRORS_QUEUE,
  userQueueDestination,
} from '../src/index.js';

const roomId = '0b7c8f2e-6a51-4c1e-9d3a-2f4e5a6b7c8d';

describe('destinations', () => {
  it('parses every destination it builds back to what it was built from', () => {
    expect(parseDestination(roomTopicDestination(roomId))).toEqual({ kind: 'room', roomId });
    expect(parseDestination(roomEventsDestination(roomId, 'presence'))).toEqual({ kind: 'room-presence', roomId });
    expect(parseDestination(roomEventsDestination(roomId, 'typing'))).toEqual({ kind: 'room-typing', roomId });
    expect(parseDestination(roomEventsDestination(roomId, 'settings'))).toEqual({ kind: 'room-settings', roomId });
    expect(parseDestination(roomSendDestination(roomId))).toEqual({ kind: 'send-room', roomId });
    expect(parseDestination(typingSendDestination(roomId))).toEqual({ kind: 'send-typing', roomId });
    expect(parseDestination(editSendDestination(roomId))).toEqual({ kind: 'send-edit', roomId });
    expect(parseDestination(deleteSendDestination(roomId))).toEqual({ kind: 'send-delete', roomId });
    expect(parseDestination(userQueueDestination(USER_ERRORS_QUEUE))).toEqual({ kind: 'user-queue', queue: 'errors' });
    expect(parseDestination(userQueueDestination(UNREAD_QUEUE))).toEqual({ kind: 'user-queue', queue: 'unread' });
  });

  it('calls anything else unknown', () => {
    for (const destination of ['/topic/rooms/x', `/topic/rooms/${roomId}/other`, `/app/rooms/${roomId}/presence`, `/app/rooms/${roomId}/edit/x`, `/topic/rooms/${roomId}/edit`, '/user/queue/', '/queue/a', '']) {
      expect(parseDestination(destination), destination).toEqual({ kind: 'unknown' });
    }
  });
});
