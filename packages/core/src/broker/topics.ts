/** Broker topic names, in one place so that every service agrees on them. */
export const topics = {
  /** Stored messages of a room (payload: Message JSON). */
  room: (roomId: string) => `chorus:room:${roomId}`,
  /** Events for every session of one user (payload: UserEvent JSON). */
  user: (userId: string) => `chorus:user:${userId}`,
  /** Ephemeral room events: presence, typing and settings changes (payload: RoomEvent JSON). */
  roomEvents: (roomId: string) => `chorus:room-events:${roomId}`,
  /** Account events every process listens to: token revocations (payload: TokensRevokedEvent JSON). */
  accounts: 'chorus:accounts',
} as const;
