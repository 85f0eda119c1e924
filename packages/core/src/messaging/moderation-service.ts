import type { ModerationLogEntry, RoomBan, RoomMember, RoomRole, RoomSettings, RoomStanding } from '../domain/moderation.js';
import { badRequest, forbidden, notFound } from '../errors.js';
import type { ModerationState, NewModerationLogEntry, RoomSettingsPatch } from '../store/moderation-store.js';
import type { Store } from '../store/store.js';
import type { Actor, ChatService } from './chat-service.js';
import { MODERATION_LIMITS, outranks, requireRole, rolesBelow } from './room-rules.js';
import { checkNoBidiControls, checkStorableText, codePointLength } from './text.js';

type ModerationDeps = Pick<
  Store,
  | 'getUser'
  | 'getModerationState'
  | 'listRoomMembers'
  | 'setMemberRole'
  | 'transferOwnership'
  | 'removeMemberBy'
  | 'unbanUser'
  | 'listBans'
  | 'setRoomTimeout'
  | 'updateRoomSettings'
  | 'deleteRoom'
  | 'listModerationLog'
>;

/** What an owner or moderator may change on a room (each field optional). */
export interface SettingsChange {
  name?: unknown;
  topic?: unknown;
  announcement?: unknown;
  slowModeSeconds?: unknown;
}

/**
 * Rooms with owners: roles, kicks, bans, timeouts, room settings, deletion and the moderation
 * log. Every rule comes from room-rules.ts; REST calls this service, and STOMP meets these
 * rules where it sends (ChatService's send gate).
 */
export class ModerationService {
  constructor(
    private readonly store: ModerationDeps,
    private readonly chat: ChatService,
  ) {}

  /** The room's settings and the caller's standing. Public rooms: anyone; private rooms: members. */
  async standing(actor: Actor, roomId: string): Promise<RoomStanding> {
    const state = await this.#state(actor, roomId, { membersOnly: false });
    return { ...settingsOf(state), role: state.member?.role ?? null, timedOutUntil: state.timedOutUntil };
  }

  async members(actor: Actor, roomId: string, query: { limit: number; after?: string | undefined }): Promise<RoomMember[]> {
    await this.#state(actor, roomId);
    return this.store.listRoomMembers(roomId, { limit: pageLimit(query.limit), after: query.after });
  }

  /** The owner makes a member a moderator, or a moderator a member again. */
  async setRole(actor: Actor, roomId: string, userId: string, role: unknown): Promise<RoomMember> {
    const state = await this.#state(actor, roomId);
    requireRole(state.member?.role, 'owner');
    if (role === 'owner') throw badRequest('to hand the room on, transfer its ownership');
    if (role !== 'moderator' && role !== 'member') throw badRequest('role must be moderator or member');
    if (userId === actor.id) throw badRequest('the owner keeps their role until they transfer ownership');
    const from: RoomRole[] = ['moderator', 'member'];
    const changed = await this.store.setMemberRole(roomId, userId, role, from, { actorId: actor.id, action: 'role', targetId: userId, detail: { role } });
    if (!changed) throw notFound('not a member of this room');
    this.chat.publishUserEvent(userId, { type: 'rooms-changed', roomId });
    const user = await this.store.getUser(userId);
    return { userId, username: user?.username ?? '', role };
  }

  /** The owner hands the room to another member and becomes a moderator. */
  async transfer(actor: Actor, roomId: string, userId: string): Promise<void> {
    const state = await this.#state(actor, roomId);
    requireRole(state.member?.role, 'owner');
    if (userId === actor.id) throw badRequest('you already own this room');
    const done = await this.store.transferOwnership(roomId, actor.id, userId, { actorId: actor.id, action: 'transfer', targetId: userId });
    if (!done) throw forbidden("only the room's owner may do this");
    this.chat.publishUserEvent(userId, { type: 'rooms-changed', roomId });
  }

  /** Removes a member ranked below the actor; they may come back (join, or be added). */
  async kick(actor: Actor, roomId: string, userId: string): Promise<void> {
    const from = await this.#targetRoles(actor, roomId, userId, { mustBeMember: true });
    const change = await this.store.removeMemberBy(roomId, userId, { ban: false, from }, { actorId: actor.id, action: 'kick', targetId: userId });
    if (!change.changed) throw notFound('not a member of this room');
    this.#removed(roomId, userId, change.message);
  }

  /** Bans a user (removing them when a member): they cannot join or be added until unbanned. */
  async ban(actor: Actor, roomId: string, userId: string): Promise<void> {
    const from = await this.#targetRoles(actor, roomId, userId, { mustBeMember: false });
    if (!(await this.store.getUser(userId))) throw notFound('user not found');
    const change = await this.store.removeMemberBy(roomId, userId, { ban: true, from }, { actorId: actor.id, action: 'ban', targetId: userId });
    if (change.changed) this.#removed(roomId, userId, change.message);
  }

  async unban(actor: Actor, roomId: string, userId: string): Promise<void> {
    const state = await this.#state(actor, roomId);
    requireRole(state.member?.role, 'moderator');
    if (!(await this.store.unbanUser(roomId, userId, { actorId: actor.id, action: 'unban', targetId: userId }))) throw notFound('this user is not banned');
  }

  async bans(actor: Actor, roomId: string, query: { limit: number }): Promise<RoomBan[]> {
    const state = await this.#state(actor, roomId);
    requireRole(state.member?.role, 'moderator');
    return this.store.listBans(roomId, { limit: pageLimit(query.limit) });
  }

  /** Times a member out for `minutes` (1..maxTimeoutMinutes), or lifts their timeout (0). Returns the end, or null. */
  async timeout(actor: Actor, roomId: string, userId: string, minutes: unknown): Promise<string | null> {
    const max = MODERATION_LIMITS.maxTimeoutMinutes;
    if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 0 || minutes > max) {
      throw badRequest(`minutes must be an integer from 0 (lift the timeout) to ${max}`);
    }
    await this.#targetRoles(actor, roomId, userId, { mustBeMember: true });
    const until = minutes === 0 ? null : new Date(Date.now() + minutes * 60_000).toISOString();
    await this.store.setRoomTimeout(roomId, userId, until, { actorId: actor.id, action: 'timeout', targetId: userId, detail: { minutes, until } });
    // Their standing changed: their clients reread it (see docs/moderation.md, Live changes).
    this.chat.publishUserEvent(userId, { type: 'rooms-changed', roomId });
    return until;
  }

  /**
   * Changes room settings: the owner renames the room, sets its topic and makes it an announcement
   * room; moderators set slow mode. Each change is logged, and the new settings go to the room's
   * `/topic/rooms/<id>/settings` subscribers on every replica.
   */
  async updateSettings(actor: Actor, roomId: string, change: SettingsChange): Promise<RoomSettings> {
    const state = await this.#state(actor, roomId);
    const patch: RoomSettingsPatch = {};
    const log: NewModerationLogEntry[] = [];
    const entry = (action: NewModerationLogEntry['action'], detail: Record<string, unknown>) => log.push({ actorId: actor.id, action, detail });
    if (change.name !== undefined) {
      requireRole(state.member?.role, 'owner');
      patch.name = checkRoomText('name', change.name, 100, { allowEmpty: false });
      entry('rename', { from: state.room.name, to: patch.name });
    }
    if (change.topic !== undefined) {
      requireRole(state.member?.role, 'owner');
      patch.topic = checkRoomText('topic', change.topic, MODERATION_LIMITS.maxTopicLength, { allowEmpty: true });
      entry('topic', { topic: patch.topic });
    }
    if (change.announcement !== undefined) {
      requireRole(state.member?.role, 'owner');
      if (typeof change.announcement !== 'boolean') throw badRequest('announcement must be a boolean');
      patch.announcement = change.announcement;
      entry('announcement', { announcement: patch.announcement });
    }
    if (change.slowModeSeconds !== undefined) {
      requireRole(state.member?.role, 'moderator');
      const s = change.slowModeSeconds;
      const max = MODERATION_LIMITS.maxSlowModeSeconds;
      if (typeof s !== 'number' || !Number.isInteger(s) || s < 0 || s > max) throw badRequest(`slowModeSeconds must be an integer from 0 (off) to ${max}`);
      patch.slowModeSeconds = s;
      entry('slow-mode', { seconds: s });
    }
    if (log.length === 0) throw badRequest('nothing to change: give name, topic, announcement or slowModeSeconds');
    const settings = await this.store.updateRoomSettings(roomId, patch, log);
    if (!settings) throw notFound('room not found');
    this.chat.publishRoomEvent({ type: 'settings', roomId, settings });
    return settings;
  }

  /**
   * The owner deletes the room with its history, memberships and files (docs/moderation.md).
   * Every member is told with a `rooms-changed` event, which also ends their subscriptions on every replica.
   */
  async deleteRoom(actor: Actor, roomId: string): Promise<void> {
    const state = await this.#state(actor, roomId);
    requireRole(state.member?.role, 'owner');
    const members = await this.store.deleteRoom(roomId);
    if (members === null) throw notFound('room not found');
    for (const userId of members) this.chat.publishUserEvent(userId, { type: 'rooms-changed', roomId });
  }

  async log(actor: Actor, roomId: string, query: { limit: number; before?: number | undefined }): Promise<ModerationLogEntry[]> {
    const state = await this.#state(actor, roomId);
    requireRole(state.member?.role, 'moderator');
    return this.store.listModerationLog(roomId, { limit: pageLimit(query.limit), before: query.before });
  }

  /**
   * The actor's state in the room, with ChatService.requireMember's answers for non-members
   * (404 for unknown and private rooms, 403 for public ones), unless `membersOnly` is false
   * (public rooms are then open to anyone signed in).
   */
  async #state(actor: Actor, roomId: string, options: { membersOnly: boolean } = { membersOnly: true }): Promise<ModerationState> {
    const state = await this.store.getModerationState(roomId, actor.id);
    if (!state) throw notFound('room not found');
    if (!state.member) {
      if (state.room.private) throw notFound('room not found');
      if (options.membersOnly) throw forbidden('not a member of this room');
    }
    return state;
  }

  /** The roles a target of a kick, ban or timeout may hold for this actor; throws when the actor may not act on them. */
  async #targetRoles(actor: Actor, roomId: string, userId: string, options: { mustBeMember: boolean }): Promise<RoomRole[]> {
    const state = await this.#state(actor, roomId);
    const role = requireRole(state.member?.role, 'moderator');
    if (userId === actor.id) throw badRequest('moderators cannot act on themselves');
    const target = await this.store.getModerationState(roomId, userId);
    const targetRole = target?.member?.role;
    if (!targetRole) {
      if (options.mustBeMember) throw notFound('not a member of this room');
    } else if (!outranks(role, targetRole)) {
      throw forbidden(targetRole === 'owner' ? "nobody can act on the room's owner" : 'only the owner acts on moderators');
    }
    return rolesBelow(role);
  }

  #removed(roomId: string, userId: string, message: Parameters<ChatService['recordStored']>[0] | null): void {
    if (message) this.chat.recordStored(message, 'http');
    this.chat.publishUserEvent(userId, { type: 'rooms-changed', roomId });
  }
}

function pageLimit(limit: number): number {
  const max = MODERATION_LIMITS.maxPage;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw badRequest(`limit must be an integer from 1 to ${max}`);
  return limit;
}

function settingsOf(state: ModerationState): RoomSettings {
  const { private: _private, ...settings } = state.room;
  return settings;
}

/** A room name or topic: the text rules of messages and names (storable, no bidi controls), trimmed, bounded. */
function checkRoomText(field: string, value: unknown, max: number, options: { allowEmpty: boolean }): string {
  if (typeof value !== 'string') throw badRequest(`${field} must be a string`);
  const text = value.trim();
  if (text === '' && !options.allowEmpty) throw badRequest(`${field} must not be empty`);
  checkStorableText(field, text);
  checkNoBidiControls(field, text);
  if (codePointLength(text) > max) throw badRequest(`${field} is longer than ${max} characters`);
  return text;
}
