import { ApiError, describeError } from '../api/api-error.js';
import type { ModerationClient, SettingsPatch } from '../api/moderation-client.js';
import {
  isModerator,
  parseSettingsEvent,
  postingBlock,
  slowModeWait,
  type RoomSettings,
  type RoomStanding,
} from '../state/room-standing.js';
import { StandingReads } from '../state/standing-reads.js';
import { BansView } from './bans-view.js';
import type { ChatView } from './chat-view.js';
import { el, replaceChildren, uid } from './dom.js';
import { MembersView } from './members-view.js';
import { ModerationLogView } from './moderation-log-view.js';
import { RoomSettingsView } from './room-settings-view.js';

export interface RoomModerationDeps {
  client: ModerationClient;
  chat: ChatView;
  myId(): string | null;
  /** The room's name or topic changed (live or by me): e.g. rename it in the room list. */
  settingsChanged(settings: RoomSettings): void;
  /** I deleted the room. */
  roomDeleted(roomId: string): void;
}

/**
 * Moderation in the open room: my standing there (role, timeout) with its live settings, the
 * composer's gate (announcement note, timeout, slow-mode countdown), the header's topic, and the
 * "Room settings" panel: settings, members with their menus, bans and the moderation log.
 */
export class RoomModeration {
  #roomId: string | null = null;
  #standing: RoomStanding | null = null;
  readonly #reads = new StandingReads();
  /** Usernames of everyone listed in this room so far, for log entries about people who left. */
  readonly #names = new Map<string, string>();
  readonly #panel = el('section', { class: 'room-panel stack', attrs: { 'aria-label': 'Room settings', hidden: true, id: uid('room-panel') } });
  readonly #settingsView: RoomSettingsView;
  readonly #membersView: MembersView;
  readonly #bansView: BansView;
  readonly #logView = new ModerationLogView();
  readonly #modOnly = el('div', { class: 'stack' });

  constructor(private readonly deps: RoomModerationDeps) {
    this.#settingsView = new RoomSettingsView({
      update: (patch) => this.#update(patch),
      deleteRoom: async () => {
        const roomId = this.#requireRoom();
        await deps.client.deleteRoom(roomId);
        deps.roomDeleted(roomId);
      },
    });
    this.#membersView = new MembersView({
      act: async (action, member) => {
        const roomId = this.#requireRoom();
        if (action === 'promote' || action === 'demote') await deps.client.setRole(roomId, member.userId, action === 'promote' ? 'moderator' : 'member');
        else if (action === 'transfer') await deps.client.transfer(roomId, member.userId);
        else if (action === 'kick') await deps.client.kick(roomId, member.userId);
        else await deps.client.ban(roomId, member.userId);
        await this.#refreshAll(roomId);
      },
      timeout: async (member, minutes) => {
        const roomId = this.#requireRoom();
        await deps.client.timeout(roomId, member.userId, minutes);
        await this.#refreshPanel(roomId);
      },
    });
    this.#bansView = new BansView(async (ban) => {
      const roomId = this.#requireRoom();
      await deps.client.unban(roomId, ban.userId);
      await this.#refreshPanel(roomId);
    });
  }

  /** The chat view shows a room: fetch my standing there and add the panel to the view. */
  open(roomId: string): void {
    this.#roomId = roomId;
    this.#standing = null;
    this.#names.clear();
    this.#panel.hidden = true;
    const toggle = el(
      'button',
      { class: 'secondary small', attrs: { type: 'button', 'aria-expanded': 'false', 'aria-controls': this.#panel.id } },
      'Room settings',
    );
    toggle.addEventListener('click', () => {
      this.#panel.hidden = !this.#panel.hidden;
      toggle.setAttribute('aria-expanded', String(!this.#panel.hidden));
      if (!this.#panel.hidden) void this.#refreshPanel(roomId);
    });
    this.deps.chat.addRoomTool(toggle, this.#panel);
    void this.#loadStanding(roomId);
  }

  close(): void {
    this.#roomId = null;
    this.#standing = null;
  }

  /** A `/topic/rooms/<id>/settings` event. */
  settingsEvent(roomId: string, body: unknown): void {
    const settings = parseSettingsEvent(roomId, body);
    const open = roomId === this.#roomId;
    // Older than what this tab has seen (an overtaken event, or the answer to a change made before the last event).
    if (!settings || (open && !this.#reads.settings(settings))) return;
    this.deps.settingsChanged(settings);
    if (!open) return;
    // Without a standing yet, the read in flight takes these settings into account when it answers.
    if (this.#standing) this.#apply({ ...this.#standing, ...settings });
  }

  /** My membership or role in the room may have changed (a push on /user/queue/unread): read my standing again. */
  roomChanged(roomId: string): void {
    if (roomId === this.#roomId) void this.#loadStanding(roomId);
  }

  /** A message of mine was stored: slow mode starts counting. */
  sent(roomId: string): void {
    if (roomId === this.#roomId && this.#standing) this.deps.chat.gate.cooldown(slowModeWait(this.#standing));
  }

  /** A send was refused: wait as long as the server says, and reread my standing when moderation refused it. */
  refused(roomId: string, err: unknown): void {
    if (roomId !== this.#roomId || !(err instanceof ApiError)) return;
    if (err.code === 'rate_limited' && err.retryAfter !== undefined && this.#standing && slowModeWait(this.#standing) > 0) {
      this.deps.chat.gate.cooldown(err.retryAfter);
    }
    if (err.code === 'forbidden') void this.#loadStanding(roomId);
  }

  async #loadStanding(roomId: string): Promise<void> {
    try {
      const read = this.#reads.start();
      const answer = await this.deps.client.standing(roomId);
      if (roomId !== this.#roomId) return;
      const standing = this.#reads.answered(read, answer);
      if (standing) this.#apply(standing);
    } catch {
      // Not a member any more (kicked, room deleted): the room's own events close it.
    }
  }

  #apply(standing: RoomStanding): void {
    const roleChanged = this.#standing?.role !== standing.role;
    this.#standing = standing;
    this.deps.chat.setSettings(standing);
    this.deps.chat.gate.setBlock(postingBlock(standing));
    const wait = slowModeWait(standing);
    if (wait === 0) this.deps.chat.gate.clearCooldown();
    this.deps.chat.gate.setHint(wait > 0 ? `Slow mode is on: one message every ${wait}s` : '');
    this.#settingsView.render(standing);
    if (roleChanged || this.#panel.childElementCount === 0) this.#renderPanel(standing);
    if (!this.#panel.hidden && roleChanged) void this.#refreshPanel(standing.roomId);
  }

  #renderPanel(standing: RoomStanding): void {
    const moderator = isModerator(standing.role);
    const refreshLog = el('button', { class: 'secondary small', attrs: { type: 'button' } }, 'Refresh log');
    refreshLog.addEventListener('click', () => void this.#refreshPanel(standing.roomId));
    replaceChildren(
      this.#modOnly,
      moderator ? el('h3', {}, 'Bans') : null,
      moderator ? this.#bansView.element : null,
      moderator ? this.#bansView.feedback : null,
      moderator ? el('div', { class: 'inline' }, el('h3', {}, 'Moderation log'), refreshLog) : null,
      moderator ? this.#logView.element : null,
    );
    replaceChildren(
      this.#panel,
      el('h3', {}, 'Settings'),
      this.#settingsView.element,
      el('h3', {}, 'Members'),
      this.#membersView.element,
      this.#membersView.feedback,
      this.#modOnly,
    );
  }

  async #update(patch: SettingsPatch): Promise<void> {
    const roomId = this.#requireRoom();
    const settings = await this.deps.client.updateSettings(roomId, patch);
    // The live event follows; applying the answer now keeps this tab right even without it.
    this.settingsEvent(roomId, { type: 'settings', roomId, settings });
    if (!this.#panel.hidden) void this.#refreshPanel(roomId);
  }

  async #refreshAll(roomId: string): Promise<void> {
    await this.#loadStanding(roomId);
    await this.#refreshPanel(roomId);
  }

  /** Reloads the members, and for moderators the bans and the log. */
  async #refreshPanel(roomId: string): Promise<void> {
    const standing = this.#standing;
    const me = this.deps.myId();
    if (!standing || me === null || roomId !== this.#roomId) return;
    try {
      const moderator = isModerator(standing.role);
      const [members, bans, log] = await Promise.all([
        this.deps.client.members(roomId),
        moderator ? this.deps.client.bans(roomId) : Promise.resolve([]),
        moderator ? this.deps.client.log(roomId) : Promise.resolve([]),
      ]);
      if (roomId !== this.#roomId) return;
      this.#membersView.render(members, standing.role, me);
      for (const { userId, username } of members) this.#names.set(userId, username);
      if (!moderator) return;
      this.#bansView.render(bans);
      for (const { userId, username } of [...members, ...bans]) this.#names.set(userId, username);
      this.#logView.render(log, this.#names);
    } catch (err) {
      this.#membersView.feedback.textContent = describeError(err);
    }
  }

  #requireRoom(): string {
    if (this.#roomId === null) throw new Error('no room is open');
    return this.#roomId;
  }
}
