import type { RoomRole } from '../domain/moderation.js';
import { ChorusError, forbidden, rateLimited } from '../errors.js';
import type { ModerationState } from '../store/moderation-store.js';

/**
 * Who may do what in a room: the one place these rules are written. ChatService and
 * ModerationService (hence REST and STOMP alike) ask here; the send gate in SQL
 * (moderation-sql.ts SEND_GATE_SQL) enforces `sendRefusal`'s rules inside the append.
 */

/** Limits (SECURITY.md, docs/moderation.md). */
export const MODERATION_LIMITS = {
  /** Topic length in code points. */
  maxTopicLength: 250,
  /** Slow mode interval bounds, seconds (0: off). */
  maxSlowModeSeconds: 3600,
  /** Timeout bounds, minutes. */
  maxTimeoutMinutes: 10_080,
  /** Page sizes of the moderation log, the ban list and the member list. */
  maxPage: 100,
} as const;

const RANK: Record<RoomRole, number> = { owner: 2, moderator: 1, member: 0 };

/** Owners and moderators moderate: kick, ban, time out, delete any message, set slow mode. */
export function isModerator(role: RoomRole | undefined | null): boolean {
  return role === 'owner' || role === 'moderator';
}

/** A moderator acts on those ranked below them only: moderators on members, owners on both. */
export function outranks(actor: RoomRole, target: RoomRole): boolean {
  return RANK[actor] > RANK[target];
}

/** The roles an actor may kick, ban or time out (empty when none). */
export function rolesBelow(actor: RoomRole): RoomRole[] {
  return (Object.keys(RANK) as RoomRole[]).filter((role) => outranks(actor, role));
}

/** Throws forbidden unless the actor is at least `needed` in the room. */
export function requireRole(role: RoomRole | undefined | null, needed: 'owner' | 'moderator'): RoomRole {
  if (role && RANK[role] >= RANK[needed]) return role;
  throw forbidden(needed === 'owner' ? "only the room's owner may do this" : 'only the moderators of this room may do this');
}

/** Whether the actor may delete a message that `senderId` sent. */
export function mayDeleteMessage(actorId: string, role: RoomRole | undefined | null, senderId: string): boolean {
  return actorId === senderId || isModerator(role);
}

/**
 * Why a member's send is refused by moderation, or null when it is not: the explanation of
 * SEND_GATE_SQL's refusals (keep the two in step). `batch`: how many messages the send holds.
 */
export function sendRefusal(state: ModerationState, batch: number, now = Date.now()): ChorusError | null {
  // The gate reads the database's clock, which may lag this process's a little: a caller refused
  // again after an explanation found nothing passes an earlier `now`.
  if (state.timedOutUntil !== null) {
    const seconds = Math.max(1, Math.ceil((Date.parse(state.timedOutUntil) - now) / 1000));
    return new ChorusError('forbidden', `you are timed out in this room until ${state.timedOutUntil}`, { retryAfter: seconds });
  }
  const role = state.member?.role;
  if (!role || role !== 'member') return null;
  if (state.room.announcement) return forbidden('only the moderators post in this announcement room');
  const slow = state.room.slowModeSeconds;
  if (slow > 0) {
    if (batch > 1) return rateLimited(`slow mode: one message per ${slow} s; send them one at a time`, slow);
    const last = state.member?.lastSentAt;
    if (last) {
      const waitMs = Date.parse(last) + slow * 1000 - now;
      if (waitMs > 0) return rateLimited(`slow mode: one message per ${slow} s`, Math.max(1, Math.ceil(waitMs / 1000)));
    }
  }
  return null;
}
