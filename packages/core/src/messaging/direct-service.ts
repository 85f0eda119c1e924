import type { Room, UserSummary } from '../domain/types.js';
import { badRequest, conflict, forbidden, notFound } from '../errors.js';
import { isUuid } from '../store/input.js';
import type { Store } from '../store/store.js';
import type { Actor, ChatService } from './chat-service.js';
import { CANNOT_MESSAGE } from './direct-rules.js';

/** Blocks one user may hold (documented in SECURITY.md). */
export const MAX_BLOCKS_PER_USER = 500;
/** User search answers at most this many users. */
export const USER_SEARCH_MAX_RESULTS = 20;
/** The longest search prefix (usernames are at most 32 characters). */
export const USER_SEARCH_MAX_QUERY = 32;

/**
 * Direct messages, user search and blocks (docs/conversations-dms.md). The rules of sending into
 * a direct room (blocks) and of its membership live with every room's rules in ChatService
 * (direct-rules.ts); this service opens the rooms and keeps the block list.
 */
export class DirectMessageService {
  constructor(
    private readonly store: Store,
    private readonly chat: ChatService,
  ) {}

  /**
   * THE direct room of the actor and `userId`, created on first use. 400 for the actor themselves,
   * 404 for an unknown user, 403 (neutral: CANNOT_MESSAGE) when that user blocks the actor.
   */
  async open(actor: Actor, userId: unknown): Promise<Room> {
    if (!isUuid(userId)) throw notFound('user not found');
    if (userId.toLowerCase() === actor.id.toLowerCase()) throw badRequest('you cannot open a direct conversation with yourself');
    if (await this.store.isBlocked(userId, actor.id)) throw forbidden(CANNOT_MESSAGE);
    const opened = await this.store.openDirectRoom(actor.id, userId);
    if (!opened) throw notFound('user not found');
    if (opened.created) {
      for (const id of [actor.id, userId]) this.chat.publishUserEvent(id, { type: 'rooms-changed', roomId: opened.room.id });
    }
    return opened.room;
  }

  /** Users whose name starts with `q` (case-insensitive), `{id, username}` only, at most USER_SEARCH_MAX_RESULTS. */
  async search(_actor: Actor, q: unknown, limit = USER_SEARCH_MAX_RESULTS): Promise<UserSummary[]> {
    if (typeof q !== 'string' || q.trim() === '') throw badRequest('q must be a non-empty string');
    if (q.length > USER_SEARCH_MAX_QUERY) throw badRequest(`q must be at most ${USER_SEARCH_MAX_QUERY} characters`);
    if (!Number.isInteger(limit) || limit < 1 || limit > USER_SEARCH_MAX_RESULTS) throw badRequest(`limit must be an integer between 1 and ${USER_SEARCH_MAX_RESULTS}`);
    return this.store.searchUsers(q.trim(), limit);
  }

  /** The actor blocks `userId` (idempotent). 400 for themselves, 404 unknown user, 409 past MAX_BLOCKS_PER_USER. */
  async block(actor: Actor, userId: unknown): Promise<void> {
    if (!isUuid(userId)) throw notFound('user not found');
    if (userId.toLowerCase() === actor.id.toLowerCase()) throw badRequest('you cannot block yourself');
    const result = await this.store.blockUser(actor.id, userId, MAX_BLOCKS_PER_USER);
    if (result === 'unknown') throw notFound('user not found');
    if (result === 'full') throw conflict(`you can block at most ${MAX_BLOCKS_PER_USER} users; unblock someone first`);
  }

  /** Removes the actor's block of `userId` (idempotent). */
  async unblock(actor: Actor, userId: unknown): Promise<void> {
    if (!isUuid(userId)) throw notFound('user not found');
    await this.store.unblockUser(actor.id, userId);
  }

  /** The users the actor blocks (all of them: at most MAX_BLOCKS_PER_USER). */
  listBlocks(actor: Actor): Promise<UserSummary[]> {
    return this.store.listBlocks(actor.id, MAX_BLOCKS_PER_USER);
  }
}
