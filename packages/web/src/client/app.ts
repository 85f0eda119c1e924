import { ApiError, describeError } from './api/api-error.js';
import { AttachmentsClient } from './api/attachments-client.js';
import { HttpClient } from './api/http-client.js';
import { ModerationClient } from './api/moderation-client.js';
import type { Account, Message, MessageSender, Room, UnreadEvent } from './api/types.js';
import { DirectMessages } from './direct-messages.js';
import { ChatConnection, type ConnectionState } from './realtime/connection.js';
import type { TransportChoice } from './realtime/transport.js';
import { applyPresence, parsePresence, parseTyping } from './state/room-events.js';
import { RoomStore, type RoomState } from './state/room-store.js';
import { SessionStore, type Session } from './state/session.js';
import { Timeline } from './state/timeline.js';
import { AccountView } from './ui/account-view.js';
import { AuthView } from './ui/auth-view.js';
import { ChatView } from './ui/chat-view.js';
import { ConnectionBadge } from './ui/connection-badge.js';
import { el, replaceChildren, userText } from './ui/dom.js';
import { RoomModeration } from './ui/room-moderation.js';
import { SidebarView } from './ui/sidebar-view.js';

const PAGE_SIZE = 50;
const CATCH_UP_PAGE = 100;
const PUBLIC_PAGE = 20;
const TYPING_SHOWN_MS = 4000;
const TYPING_SEND_EVERY_MS = 2500;
const TYPING_MIN_GAP_MS = 1100;
const ROOMS_POLL_MS = 60_000;

export interface AppOptions {
  root: HTMLElement;
  origin: URL;
  transport: TransportChoice;
  storage: Storage;
  /** The STOMP heart-beat interval to ask for; the connection's default when undefined. */
  heartbeatMs?: number | undefined;
}

/**
 * The client's controller: owns the session, the room state and the STOMP
 * connection, and keeps the views in step with them.
 */
export class App {
  readonly #options: AppOptions;
  readonly #sessions: SessionStore;
  readonly #http: HttpClient;
  readonly #files: AttachmentsClient;
  readonly #rooms = new RoomStore();
  readonly #badge: ConnectionBadge;
  readonly #account = el('div', { class: 'account' });
  readonly #main = el('main', { class: 'main', attrs: { id: 'main', tabindex: -1 } });
  readonly #auth: AuthView;
  readonly #sidebar: SidebarView;
  readonly #chat: ChatView;
  readonly #moderation: RoomModeration;
  readonly #dms: DirectMessages;
  readonly #shell: HTMLElement;
  #session: Session | null = null;
  #connection: ChatConnection | null = null;
  #active: string | null = null;
  #publicRooms: Room[] = [];
  #publicCursor: string | null = null;
  #online: MessageSender[] | null = null;
  readonly #typing = new Map<string, { username: string; until: number }>();
  #typingTimer: ReturnType<typeof setInterval> | null = null;
  #lastTypingSent = 0;
  #typingTrailing: ReturnType<typeof setTimeout> | null = null;
  #readTimer: ReturnType<typeof setTimeout> | null = null;
  #unreadTimer: ReturnType<typeof setTimeout> | null = null;
  /** While my password changes, the server closes this tab's socket too: not a sign-out. */
  #changingPassword = false;

  constructor(options: AppOptions) {
    this.#options = options;
    this.#sessions = new SessionStore(options.storage);
    this.#http = new HttpClient({
      baseUrl: '',
      token: () => this.#session?.token ?? null,
      onUnauthorized: () => this.#logout('Your session has expired. Please log in again.'),
    });
    this.#files = new AttachmentsClient({ baseUrl: '', token: () => this.#session?.token ?? null });
    this.#badge = new ConnectionBadge(() => this.#connection?.reconnectNow());
    this.#auth = new AuthView({
      login: async (login, password) => this.#enter(await this.#http.login(login, password)),
      signup: async (username, email, password) => this.#enter(await this.#http.signup(username, email, password)),
    });
    this.#dms = new DirectMessages({
      http: this.#http,
      myId: () => this.#session?.user.id ?? null,
      showRoom: (room) => this.#showListedRoom(room.id),
      reloadHistory: (roomId) => this.#reloadHistory(roomId),
      directRoomWith: (userId) => this.#rooms.list().find((room) => room.direct?.userId === userId),
    });
    this.#sidebar = new SidebarView({
      openRoom: (roomId) => this.#navigate(roomId),
      createRoom: (name, isPrivate) => this.#createRoom(name, isPrivate),
      joinRoom: (roomId) => this.#joinRoom(roomId),
      loadPublicRooms: (more) => this.#loadPublicRooms(more),
      search: async (text) =>
        (await this.#http.search(text)).map((message) => ({ message, roomName: this.#rooms.get(message.roomId)?.room.name ?? 'a room' })),
    }, { people: this.#dms.search.element });
    this.#chat = new ChatView({
      loadOlder: () => this.#loadOlder(),
      send: (text, attachments) => this.#send(text, attachments),
      upload: (file, onProgress) => this.#files.upload(this.#requireActive(), file, onProgress),
      loadFile: (url) => this.#files.blobUrl(url),
      typing: () => this.#sendTyping(),
      leave: () => this.#leave(),
      addMember: (userId) => this.#http.addMember(this.#requireActive(), userId),
      editMessage: async (messageId, text) => void (await this.#http.editMessage(this.#requireActive(), messageId, text)),
      deleteMessage: async (messageId) => void (await this.#http.deleteMessage(this.#requireActive(), messageId)),
      join: (roomId) => this.#joinRoom(roomId),
      sawLatest: () => this.#scheduleRead(),
      react: async (messageId, emoji, remove) => void (await this.#http.react(this.#requireActive(), messageId, emoji, remove)),
      directActions: (peer) => this.#dms.header.render(peer),
    });
    this.#moderation = new RoomModeration({
      client: new ModerationClient(this.#http),
      chat: this.#chat,
      myId: () => this.#session?.user.id ?? null,
      settingsChanged: (settings) => {
        const state = this.#rooms.get(settings.roomId);
        if (state && state.room.name !== settings.name) {
          state.room.name = settings.name;
          this.#renderRooms();
        }
      },
      roomDeleted: (roomId) => {
        this.#forgetRoom(roomId);
        this.#navigate(null);
      },
    });
    this.#dms.menu.attach(this.#chat.element);
    this.#shell = el('div', { class: 'shell', attrs: { 'data-pane': 'rooms' } }, this.#sidebar.element, this.#chat.element);
    this.#badge.element.hidden = true;
    replaceChildren(
      options.root,
      el(
        'a',
        {
          class: 'skip-link',
          attrs: { href: '#main' },
          // The hash is the router's: move focus without navigating.
          on: { click: (event) => (event.preventDefault(), this.#main.focus()) },
        },
        'Skip to content',
      ),
      el('header', { class: 'topbar' }, el('h1', { class: 'brand' }, 'Chorus'), this.#badge.element, this.#account),
      this.#main,
    );
  }

  start(): void {
    window.addEventListener('hashchange', () => void this.#route());
    window.addEventListener('online', () => this.#connection?.reconnectNow());
    window.addEventListener('focus', () => {
      this.#scheduleRead();
      if (this.#session) this.#scheduleUnreadRefresh();
    });
    // Being added to a private room is only pushed by servers with /user/queue/unread; poll as a fallback.
    setInterval(() => {
      if (this.#session && document.visibilityState === 'visible') this.#scheduleUnreadRefresh();
    }, ROOMS_POLL_MS);
    document.addEventListener('visibilitychange', () => this.#scheduleRead());
    const session = this.#sessions.load();
    if (session) void this.#resume(session);
    else this.#showAuth(null);
  }

  // ---- session ----------------------------------------------------------

  async #enter(session: Session): Promise<void> {
    this.#sessions.save(session);
    await this.#resume(session);
  }

  async #resume(session: Session): Promise<void> {
    this.#session = session;
    this.#renderAccount(session.user);
    replaceChildren(this.#main, this.#shell);
    try {
      await this.#refreshRooms();
    } catch (err) {
      if (this.#session !== session) return; // a 401 logged us out
      this.#sidebar.showPublicError(err);
    }
    const connection = new ChatConnection({
      origin: this.#options.origin,
      transport: this.#options.transport,
      ...(this.#options.heartbeatMs !== undefined ? { heartbeatMs: this.#options.heartbeatMs } : {}),
      token: () => this.#session?.token ?? null,
      since: (roomId) => this.#rooms.since(roomId),
      handlers: {
        state: (state) => this.#onConnectionState(state),
        connected: (resumed) => this.#onConnected(resumed),
        roomMessage: (roomId, message, truncated) => this.#onRoomMessage(roomId, message, truncated),
        presence: (roomId, body) => this.#onPresence(roomId, body),
        typing: (roomId, body) => this.#onTyping(roomId, body),
        settings: (roomId, body) => this.#moderation.settingsEvent(roomId, body),
        unread: (event) => this.#onUnread(event),
        userError: (error) => {
          this.#chat.showError(error.message);
          // A room's subscriptions ended (kicked, banned, the room deleted): the room list changed.
          if (error.code === 'forbidden' && error.destination?.startsWith('/topic/rooms/')) this.#scheduleUnreadRefresh();
        },
        authRejected: () => {
          if (!this.#changingPassword) void this.#http.me().catch(() => undefined);
        },
      },
    });
    this.#connection = connection;
    for (const roomId of this.#rooms.ids()) connection.watchRoom(roomId);
    this.#badge.element.hidden = false;
    connection.start();
    void this.#dms.load();
    void this.#loadPublicRooms(false).catch((err: unknown) => this.#sidebar.showPublicError(err));
    await this.#route();
  }

  #logout(notice: string | null): void {
    const connection = this.#connection;
    this.#connection = null;
    void connection?.stop();
    this.#session = null;
    this.#sessions.clear();
    this.#rooms.clear();
    this.#active = null;
    this.#publicRooms = [];
    this.#dms.reset();
    this.#badge.element.hidden = true;
    this.#chat.showEmpty();
    if (location.hash !== '') history.replaceState(null, '', location.pathname + location.search);
    this.#showAuth(notice);
  }

  #showAuth(notice: string | null): void {
    replaceChildren(this.#account);
    this.#auth.setNotice(notice);
    replaceChildren(this.#main, this.#auth.element);
    this.#auth.show('login');
  }

  #renderAccount(user: Account): void {
    const idInput = el('input', { class: 'mono', attrs: { readonly: true, value: user.id, 'aria-label': 'Your user ID' } });
    replaceChildren(
      this.#account,
      el(
        'details',
        { class: 'account-menu' },
        el('summary', {}, el('span', { class: 'sr-only' }, 'Account: '), userText(user.username)),
        el(
          'div',
          { class: 'account-panel stack' },
          el('p', { class: 'meta' }, user.email),
          el('p', { class: 'hint' }, 'Share your user ID so others can add you to private rooms.'),
          idInput,
          this.#accountActions().element,
          this.#dms.blockList.element,
        ),
      ),
      el('button', { class: 'secondary small', attrs: { type: 'button' }, on: { click: () => this.#logout(null) } }, 'Log out'),
    );
  }

  #accountActions(): AccountView {
    return new AccountView({
      changePassword: async (currentPassword, newPassword) => {
        this.#changingPassword = true;
        try {
          const { user, token } = await this.#http.changePassword(currentPassword, newPassword);
          const session = { user, token };
          this.#session = session;
          this.#sessions.save(session);
        } finally {
          this.#changingPassword = false;
        }
        this.#connection?.reconnectNow();
      },
      logoutEverywhere: async () => {
        await this.#http.logoutEverywhere();
        this.#logout('You have been logged out everywhere.');
      },
      deleteAccount: async (password) => {
        await this.#http.deleteAccount(password);
        this.#logout('Your account has been deleted.');
      },
    });
  }

  // ---- routing ----------------------------------------------------------

  #navigate(roomId: string | null): void {
    const hash = roomId === null ? '#/' : `#/rooms/${encodeURIComponent(roomId)}`;
    if (location.hash === hash) void this.#route();
    else location.hash = hash;
  }

  async #route(): Promise<void> {
    if (!this.#session) return;
    this.#flushRead();
    const match = /^#\/rooms\/([^/]+)$/.exec(location.hash);
    const roomId = match ? decodeURIComponent(match[1]!) : null;
    if (roomId === null) {
      this.#active = null;
      this.#moderation.close();
      this.#connection?.focusRoom(null);
      this.#shell.dataset.pane = 'rooms';
      this.#chat.showEmpty();
      this.#renderRooms();
      return;
    }
    await this.#openRoom(roomId);
  }

  async #openRoom(roomId: string): Promise<void> {
    const switching = this.#active !== roomId;
    this.#active = roomId;
    this.#shell.dataset.pane = 'chat';
    this.#renderRooms();
    const state = this.#rooms.get(roomId);
    this.#connection?.focusRoom(state ? roomId : null);
    if (!state) {
      this.#moderation.close();
      try {
        const room = await this.#http.room(roomId);
        if (this.#active === roomId) this.#chat.showJoinPrompt(roomId, room, null);
      } catch (err) {
        if (this.#active === roomId) this.#chat.showJoinPrompt(roomId, null, err);
      }
      return;
    }
    if (switching || this.#chat.roomId !== roomId) {
      this.#typing.clear();
      this.#online = null;
      this.#chat.showRoom(state.room, this.#session!.user);
      // Direct conversations have no owner or moderators to speak of.
      if (state.room.direct) this.#moderation.close();
      else this.#moderation.open(roomId);
      void this.#loadPresence(roomId);
    }
    try {
      await this.#ensureLoaded(state);
    } catch (err) {
      this.#chat.showError(`Could not load messages: ${describeError(err)}`);
      return;
    }
    if (this.#active === roomId && this.#rooms.get(roomId) === state) {
      this.#chat.setMessages(state.timeline.messages, state.timeline.reachedStart);
    }
  }

  /** Opens a room the server just gave me (a direct conversation), listing it first if it is new. */
  async #showListedRoom(roomId: string): Promise<void> {
    if (!this.#rooms.has(roomId)) await this.#refreshRooms();
    this.#navigate(roomId);
  }

  /** Drops a room's loaded history and loads it again (blocking changes what the server hides). */
  #reloadHistory(roomId: string): void {
    const state = this.#rooms.get(roomId);
    if (!state) return;
    // A load in flight would fill the new timeline with what it read before the change.
    void (state.loading ?? Promise.resolve()).catch(() => undefined).then(() => {
      state.timeline = new Timeline();
      state.buffer = [];
      if (this.#active === roomId) void this.#openRoom(roomId);
    });
  }

  #requireActive(): string {
    if (this.#active === null) throw new Error('no room is open');
    return this.#active;
  }

  // ---- rooms --------------------------------------------------------------

  async #refreshRooms(): Promise<void> {
    const { added, removed } = this.#rooms.merge(await this.#http.myRooms());
    for (const roomId of added) this.#connection?.watchRoom(roomId);
    for (const roomId of removed) this.#connection?.unwatchRoom(roomId);
    this.#renderRooms();
    this.#renderPublicRooms();
    const active = this.#active === null ? undefined : this.#rooms.get(this.#active);
    if (active && this.#chat.roomId === active.room.id) this.#chat.updateRoom(active.room);
    if (this.#active !== null && removed.includes(this.#active)) void this.#openRoom(this.#active);
    this.#scheduleRead();
  }

  #renderRooms(): void {
    this.#sidebar.renderMyRooms(this.#rooms.list(), this.#active);
  }

  #renderPublicRooms(): void {
    // Member counts of rooms I am in are fresher in my own listing.
    const rooms = this.#publicRooms.map((room) => {
      const mine = this.#rooms.get(room.id);
      return mine ? { ...room, memberCount: mine.room.memberCount } : room;
    });
    this.#sidebar.renderPublicRooms(rooms, new Set(this.#rooms.ids()), this.#publicCursor !== null);
  }

  async #loadPublicRooms(more: boolean): Promise<void> {
    const page = await this.#http.publicRooms(PUBLIC_PAGE, more ? (this.#publicCursor ?? undefined) : undefined);
    this.#publicRooms = more ? [...this.#publicRooms, ...page.rooms] : page.rooms;
    this.#publicCursor = page.nextCursor;
    this.#renderPublicRooms();
  }

  async #createRoom(name: string, isPrivate: boolean): Promise<void> {
    const room = await this.#http.createRoom(name, isPrivate);
    await this.#refreshRooms();
    if (!room.private) void this.#loadPublicRooms(false).catch(() => undefined);
    this.#navigate(room.id);
  }

  async #joinRoom(roomId: string): Promise<void> {
    if (roomId === '') throw new ApiError(400, 'bad_request', 'enter a room ID');
    await this.#http.join(roomId);
    await this.#refreshRooms();
    this.#navigate(roomId);
  }

  async #leave(): Promise<void> {
    const roomId = this.#requireActive();
    await this.#http.leave(roomId);
    this.#forgetRoom(roomId);
    void this.#loadPublicRooms(false).catch(() => undefined);
    this.#navigate(null);
  }

  #forgetRoom(roomId: string): void {
    this.#rooms.remove(roomId);
    this.#connection?.unwatchRoom(roomId);
    this.#renderRooms();
    this.#renderPublicRooms();
  }

  // ---- messages -------------------------------------------------------------

  /** Loads the latest page of a room once; live messages meanwhile are buffered and merged after. */
  #ensureLoaded(state: RoomState): Promise<void> {
    if (state.timeline.loaded) return Promise.resolve();
    state.loading ??= (async () => {
      try {
        const page = await this.#http.messages(state.room.id, { limit: PAGE_SIZE });
        state.timeline.loadLatest(page, PAGE_SIZE);
        const buffered = state.buffer;
        state.buffer = [];
        if (state.timeline.addNewer(buffered).gap) void this.#catchUp(state);
      } finally {
        state.loading = null;
      }
    })();
    return state.loading;
  }

  async #loadOlder(): Promise<void> {
    const state = this.#rooms.get(this.#requireActive());
    const before = state?.timeline.oldestSeq;
    if (!state || before === null || before === undefined || state.timeline.reachedStart) return;
    const page = await this.#http.messages(state.room.id, { before, limit: PAGE_SIZE });
    state.timeline.prependOlder(page, PAGE_SIZE);
    if (this.#active === state.room.id) this.#chat.prependMessages(state.timeline.messages, state.timeline.reachedStart);
  }

  /** Fills a hole after the newest loaded message from REST history, page by page. */
  async #catchUp(state: RoomState): Promise<void> {
    if (state.catchingUp) {
      state.catchUpAgain = true;
      return;
    }
    state.catchingUp = true;
    try {
      do {
        state.catchUpAgain = false;
        while (true) {
          const after = state.timeline.newestSeq;
          const page = await this.#http.messages(state.room.id, { after, limit: CATCH_UP_PAGE });
          const { added } = state.timeline.addNewer(page);
          if (this.#active === state.room.id && this.#chat.roomId === state.room.id) this.#chat.appendMessages(added);
          if (page.length < CATCH_UP_PAGE || added.length === 0) break;
        }
      } while (state.catchUpAgain);
    } catch {
      // The next live message or reconnect detects the hole again and retries.
    } finally {
      state.catchingUp = false;
    }
  }

  #onRoomMessage(roomId: string, message: Message, replayTruncated: boolean): void {
    const state = this.#rooms.get(roomId);
    if (!state || message.roomId !== roomId) return;
    const me = this.#session?.user.id;
    state.room.lastSeq = Math.max(state.room.lastSeq, message.seq);
    // A message ends its sender's typing indicator (which is shown for the open room only).
    if (message.type === 'text' && roomId === this.#active) this.#typing.delete(message.sender.id);
    if (message.type === 'leave' && message.sender.id === me) {
      // Left from another tab or device.
      this.#forgetRoom(roomId);
      if (this.#active === roomId) void this.#openRoom(roomId);
      return;
    }
    if (state.timeline.loaded) {
      const { added, gap } = state.timeline.addNewer([message]);
      if (this.#active === roomId && this.#chat.roomId === roomId) {
        this.#chat.appendMessages(added);
        this.#renderTyping();
      }
      if (gap || replayTruncated) void this.#catchUp(state);
    } else if (state.loading) {
      state.buffer.push(message);
    }
    if (this.#active === roomId && this.#chat.seesLatest) this.#scheduleRead();
    // Unread counts and member counts come from the server; /user/queue/unread may also push them.
    if (message.type !== 'text' || (message.sender.id !== me && this.#active !== roomId)) this.#scheduleUnreadRefresh();
  }

  async #send(text: string, attachments: string[] = []): Promise<void> {
    const roomId = this.#requireActive();
    // Receivers drop the indicator when the message lands, so the next draft may announce again soon
    // (but not faster than the server's one-per-second typing limit).
    this.#lastTypingSent = Math.min(this.#lastTypingSent, Date.now() - TYPING_SEND_EVERY_MS + TYPING_MIN_GAP_MS);
    if (this.#typingTrailing !== null) clearTimeout(this.#typingTrailing);
    this.#typingTrailing = null;
    try {
      if (this.#connection?.connected) {
        await this.#connection.send(roomId, text, attachments);
      } else {
        // No live connection: REST stores it just the same.
        const message = await this.#http.send(roomId, text, attachments);
        this.#onRoomMessage(roomId, message, false);
      }
    } catch (err) {
      this.#moderation.refused(roomId, err);
      throw err;
    }
    this.#moderation.sent(roomId);
  }

  // ---- read position and unread counts ---------------------------------------

  #scheduleRead(): void {
    if (this.#readTimer !== null) return;
    this.#readTimer = setTimeout(() => {
      this.#readTimer = null;
      this.#markRead();
    }, 300);
  }

  /** Saves the read position now if one is pending (before the open room changes). */
  #flushRead(): void {
    if (this.#readTimer === null) return;
    clearTimeout(this.#readTimer);
    this.#readTimer = null;
    this.#markRead();
  }

  /** Saves the read position of the open room when its newest message is on screen. */
  #markRead(): void {
    const state = this.#active === null ? undefined : this.#rooms.get(this.#active);
    if (!state || !state.timeline.loaded || this.#chat.roomId !== state.room.id || !this.#chat.seesLatest) return;
    const seq = state.timeline.newestSeq;
    if (seq <= state.room.lastReadSeq && state.room.unread === 0) return;
    state.room.lastReadSeq = Math.max(seq, state.room.lastReadSeq);
    state.room.unread = 0;
    state.room.mentions = 0;
    this.#renderRooms();
    this.#http.markRead(state.room.id, seq).catch(() => undefined);
  }

  #scheduleUnreadRefresh(): void {
    if (this.#unreadTimer !== null) return;
    this.#unreadTimer = setTimeout(() => {
      this.#unreadTimer = null;
      if (this.#session) this.#refreshRooms().catch(() => undefined);
    }, 500);
  }

  #onUnread(event: UnreadEvent): void {
    const state = this.#rooms.get(event.roomId);
    if (!state) {
      this.#scheduleUnreadRefresh(); // a room we did not know about: added to it elsewhere
      return;
    }
    this.#moderation.roomChanged(event.roomId);
    state.room.unread = event.unread;
    if (event.mentions !== undefined) state.room.mentions = event.mentions;
    state.room.lastSeq = Math.max(state.room.lastSeq, event.lastSeq);
    this.#renderRooms();
    if (event.roomId === this.#active) this.#scheduleRead();
  }

  // ---- connection, presence, typing ------------------------------------------

  #onConnectionState(state: ConnectionState): void {
    this.#badge.update(state);
    this.#renderOnline();
  }

  #onConnected(resumed: boolean): void {
    if (!resumed) return;
    // Membership and unread counts may have changed while we were away.
    this.#refreshRooms().catch(() => undefined);
    if (this.#active !== null) void this.#loadPresence(this.#active);
  }

  async #loadPresence(roomId: string): Promise<void> {
    try {
      const online = await this.#http.presence(roomId);
      if (this.#active !== roomId) return;
      this.#online = online === null ? this.#online : applyPresence([], { kind: 'snapshot', online });
      this.#renderOnline();
    } catch {
      // Presence is a nicety; the chat works without it.
    }
  }

  #onPresence(roomId: string, body: unknown): void {
    const change = parsePresence(body);
    if (!change || roomId !== this.#active) return;
    this.#online = applyPresence(this.#online ?? [], change);
    this.#renderOnline();
  }

  /** The online list, with this user in it while connected (their own announcement may precede the subscription). */
  #renderOnline(): void {
    const me = this.#session?.user;
    if (this.#online === null || !me) return this.#chat.setOnline(null);
    const self = { id: me.id, username: me.username };
    this.#chat.setOnline(applyPresence(this.#online, { kind: this.#connection?.connected ? 'online' : 'offline', user: self }));
  }

  #onTyping(roomId: string, body: unknown): void {
    const signal = parseTyping(body);
    if (!signal || roomId !== this.#active || signal.user.id === this.#session?.user.id) return;
    if (signal.typing) this.#typing.set(signal.user.id, { username: signal.user.username, until: Date.now() + TYPING_SHOWN_MS });
    else this.#typing.delete(signal.user.id);
    this.#renderTyping();
    this.#typingTimer ??= setInterval(() => this.#renderTyping(), 1000);
  }

  #renderTyping(): void {
    const now = Date.now();
    for (const [id, entry] of this.#typing) if (entry.until <= now) this.#typing.delete(id);
    this.#chat.setTyping([...this.#typing.values()].map((entry) => entry.username));
    if (this.#typing.size === 0 && this.#typingTimer !== null) {
      clearInterval(this.#typingTimer);
      this.#typingTimer = null;
    }
  }

  /** Throttled typing signal, with a trailing send so a pause-then-type is still announced. */
  #sendTyping(): void {
    const roomId = this.#active;
    if (roomId === null) return;
    const wait = this.#lastTypingSent + TYPING_SEND_EVERY_MS - Date.now();
    if (wait <= 0) {
      this.#lastTypingSent = Date.now();
      this.#connection?.sendTyping(roomId);
      return;
    }
    this.#typingTrailing ??= setTimeout(() => {
      this.#typingTrailing = null;
      if (this.#active === roomId && this.#chat.hasDraft) this.#sendTyping();
    }, wait);
  }
}
