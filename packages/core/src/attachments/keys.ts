/** Object keys of attachments: one prefix per room, so a room's files can be listed together. */
export const ATTACHMENTS_PREFIX = 'attachments/';

export const attachmentKey = (roomId: string, id: string) => `${ATTACHMENTS_PREFIX}${roomId.toLowerCase()}/${id.toLowerCase()}`;
export const thumbnailKey = (roomId: string, id: string) => `${attachmentKey(roomId, id)}.thumb`;

/** The attachment id an object key belongs to (its own bytes or its thumbnail), or null for foreign keys. */
export function attachmentIdOfKey(key: string): string | null {
  const match = /^attachments\/[0-9a-f-]{36}\/([0-9a-f-]{36})(\.thumb)?$/.exec(key);
  return match ? match[1]! : null;
}
