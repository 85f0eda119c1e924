import type { Message, RoomEvent } from '@chorus/core';
import type { MessageBody, PresenceEvent, RoomSettingsEvent, TypingEvent } from '@chorus/protocol';

// The destinations are shared with the web client, so they live in @chorus/protocol.
export * from '@chorus/protocol';

type Holds<T extends true> = T;
/** Compile-time checks that what the server publishes is what @chorus/protocol declares (a mismatch fails typecheck). */
export type WireConformance = [
  Holds<Message extends MessageBody ? true : false>,
  Holds<RoomEvent extends PresenceEvent | TypingEvent | RoomSettingsEvent ? true : false>,
];
