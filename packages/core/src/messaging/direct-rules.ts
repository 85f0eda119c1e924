import type { Message, Room } from '../domain/types.js';
import { forbidden } from '../errors.js';
import type { DirectState, Store } from '../store/store.js';

/**
 * The rules that make a room of kind 'direct' different (docs/conversations-dms.md). ChatService
 * calls them where it applies the rules of every room, so REST and STOMP share them.
 */

/** The refusal a blocked user gets: neutral, it does not say that they are blocked. */
export const CANNOT_MESSAGE = 'you cannot message this user';

/** A direct room has exactly its two users: nobody can be added to it, and neither can leave it. */
export function refuseDirectMembershipChange(room: Room, change: 'add' | 'leave'): void {
  if (room.kind !== 'direct') return;
  throw forbidden(change === 'add' ? 'a direct conversation has exactly two members; nobody can be added' : 'a direct conversation cannot be left; block the user to stop their messages');
}

/** Refuses a member writing into a direct room whose other member blocks them. */
export async function checkMayWriteDirect(store: Store, room: Room, actorId: string): Promise<void> {
  if (room.kind !== 'direct') return;
  const state = await store.getDirectState(room.id, actorId);
  if (state?.blocksMe) throw forbidden(CANNOT_MESSAGE);
}

/**
 * What the blocker sees of a direct room's history: text and edit entries of the blocked user keep
 * their place in the sequence (seq, id, type, sender, time) but carry no text, files or quote and
 * are marked `hidden`; a quote of theirs in the blocker's own replies is emptied the same way.
 */
export function hideBlockedPeer(messages: Message[], state: DirectState | null): Message[] {
  if (!state?.blockedByMe) return messages;
  const blocked = state.peer.userId;
  return messages.map((message) => {
    let shown = message;
    if (message.sender.id === blocked && (message.type === 'text' || message.type === 'edit')) {
      const { attachments: _files, replyTo: _quote, editedAt: _edited, ...rest } = message;
      shown = { ...rest, text: '', hidden: true };
    }
    if (shown.replyTo && shown.replyTo.sender.id === blocked) shown = { ...shown, replyTo: { ...shown.replyTo, text: '' } };
    return shown;
  });
}
