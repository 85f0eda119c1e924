import type { Presence } from '@chorus/core';

/** Who is online in a room right now: the push worker skips them (they see the message live). */
export interface OnlineChecker {
  onlineUserIds(roomId: string): Promise<Set<string>>;
}

/** Used when no shared presence is available: everyone counts as offline. */
export const nobodyOnline: OnlineChecker = {
  onlineUserIds: async () => new Set<string>(),
};

/** Core's Presence (memory in one process, Redis across replicas) as an OnlineChecker. */
export function presenceOnlineChecker(presence: Pick<Presence, 'online'>): OnlineChecker {
  return {
    onlineUserIds: async (roomId) => new Set((await presence.online(roomId)).map((user) => user.id)),
  };
}
