import { describeError } from '../api/api-error.js';
import type { Account, AttachmentInfo, MemberRoom, Message, MessageSender, Room, UserSummary } from '../api/types.js';
import { ComposerFiles } from './composer-files.js';
import { ComposerGate } from './composer-gate.js';
import { el, field, replaceChildren, uid, userText } from './dom.js';
import { submitAction } from './form-action.js';
import { displayText, typingText } from './format.js';
import { MentionAutocomplete } from './mention-autocomplete.js';
import { MessageList } from './message-list.js';
import { userNameButton } from './user-menu.js';

export interface ChatActions {
  loadOlder(): Promise<void>;
  /** Resolves once stored; rejects with the reason it was refused. */
  send(text: string, attachments?: string[]): Promise<void>;
  /** Uploads a file to the open room, reporting progress (0..1). */
  upload(file: File, onProgress: (fraction: number) => void): Promise<AttachmentInfo>;
  /** An attachment url as a blob: URL (fetched with the session's token). */
  loadFile(url: string): Promise<string>;
  typing(): void;
  leave(): Promise<void>;
  addMember(userId: string): Promise<void>;
  /** Edit / delete one of my messages; the change itself arrives live as an edit/delete entry. */
  editMessage(messageId: string, text: string): Promise<void>;
  deleteMessage(messageId: string): Promise<void>;
  join(roomId: string): Promise<void>;
  /** The newest message is on screen: a chance to save the read position. */
  sawLatest(): void;
  /** Adds or takes back a reaction; the change arrives live as a `reaction` entry. */
  react(messageId: string, emoji: string, remove: boolean): Promise<void>;
  /** The header controls of a direct conversation with `peer` (block state and Block/Unblock). */
  directActions?(peer: UserSummary): HTMLElement;
}

/** Distance from the bottom (px) within which the log counts as "at the latest message". */
const STICK_PX = 48;

/** The chat pane: header, room details, message log, typing line and composer. */
export class ChatView {
  readonly element = el('section', { class: 'chat', attrs: { 'aria-label': 'Chat' } });
  readonly #actions: ChatActions;
  readonly #list: MessageList;
  readonly #files: ComposerFiles;
  readonly #pending = el('ol', { class: 'messages pending-list', attrs: { 'aria-label': 'Messages being sent' } });
  readonly #log = el('div', { class: 'log', attrs: { role: 'log', 'aria-label': 'Messages', tabindex: 0 } });
  readonly #olderButton: HTMLButtonElement;
  readonly #start = el('p', { class: 'log-start', attrs: { hidden: true } }, 'This is the beginning of the room.');
  readonly #typing = el('p', { class: 'typing', attrs: { 'aria-live': 'polite' } });
  readonly #online = el('ul', { class: 'online-list', attrs: { 'aria-label': 'Online now' } });
  readonly #onlineSection = el('div', { class: 'online', attrs: { hidden: true } });
  readonly #jump: HTMLButtonElement;
  readonly #sendError = el('p', { class: 'form-error', attrs: { role: 'alert' } });
  readonly #input: HTMLTextAreaElement;
  readonly #sendButton = el('button', { class: 'primary', attrs: { type: 'submit' } }, 'Send');
  /** Closes the composer for moderation (announcement rooms, timeouts, slow mode). */
  readonly gate: ComposerGate;
  readonly #title = el('h2', { class: 'room-title' });
  readonly #topic = el('p', { class: 'room-topic', attrs: { hidden: true } });
  /** Room tools of other features (moderation): a header button and the panel it opens. */
  readonly #toolButtons = el('span', { class: 'tool-buttons' });
  readonly #toolPanels = el('div', { class: 'tool-panels' });
  #direct = false;
  #reachedStart = true;
  #loadingOlder = false;
  #room: Room | null = null;
  #me: Account | null = null;
  readonly #mentions: MentionAutocomplete;

  constructor(actions: ChatActions) {
    this.#actions = actions;
    this.#list = new MessageList((url) => actions.loadFile(url), {
      edit: (id, text) => void this.#changeMessage(() => actions.editMessage(id, text)),
      delete: (id) => void this.#changeMessage(() => actions.deleteMessage(id)),
      react: (id, emoji, remove) => void this.#changeMessage(() => actions.react(id, emoji, remove)),
    });
    this.#files = new ComposerFiles({ upload: (file, onProgress) => actions.upload(file, onProgress), onError: (text) => (this.#sendError.textContent = text) });
    this.#olderButton = el(
      'button',
      { class: 'secondary small', attrs: { type: 'button', hidden: true }, on: { click: () => void this.#loadOlder() } },
      'Load older messages',
    );
    this.#jump = el(
      'button',
      { class: 'jump primary small', attrs: { type: 'button', hidden: true }, on: { click: () => this.#scrollToBottom() } },
      'Jump to latest messages',
    );
    this.#input = el('textarea', {
      attrs: { name: 'text', rows: 1, placeholder: 'Write a message…', enterkeyhint: 'send', autocomplete: 'off' },
      on: {
        paste: (event) => {
          const files = [...(event.clipboardData?.files ?? [])];
          if (files.length === 0) return;
          event.preventDefault();
          this.#files.add(files);
        },
        keydown: (event) => {
          if (this.#mentions.onKeydown(event)) return;
          if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
            event.preventDefault();
            this.#send();
          }
        },
        input: () => {
          this.#mentions.update();
          this.#autoGrow();
          if (this.#input.value.trim() !== '') this.#actions.typing();
        },
      },
    });
    this.#mentions = new MentionAutocomplete(this.#input, () => this.#mentionNames());
    this.gate = new ComposerGate([this.#input, this.#sendButton]);
    this.#log.addEventListener('scroll', () => this.#onScroll(), { passive: true });
    // Files dropped anywhere on the chat pane are attached to the next message.
    this.element.addEventListener('dragover', (event) => {
      if (this.#room === null || !event.dataTransfer?.types.includes('Files')) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = 'copy';
    });
    this.element.addEventListener('drop', (event) => {
      const files = [...(event.dataTransfer?.files ?? [])];
      if (this.#room === null || files.length === 0) return;
      event.preventDefault();
      this.#files.add(files);
    });
    this.showEmpty();
  }

  get roomId(): string | null {
    return this.#room?.id ?? null;
  }

  /** Whether the composer holds unsent text. */
  get hasDraft(): boolean {
    return this.#input.value.trim() !== '';
  }

  /** Whether the newest message is in view (and the page is visible). */
  get seesLatest(): boolean {
    return document.visibilityState === 'visible' && this.#atBottom();
  }

  showEmpty(): void {
    this.#room = null;
    replaceChildren(
      this.element,
      el('div', { class: 'empty-chat' }, el('h2', {}, 'No room open'), el('p', {}, 'Pick a room, create one, or join one by its ID.')),
    );
  }

  /** A room the user can see but has not joined (a shared link or ID). */
  showJoinPrompt(roomId: string, room: Room | null, error: unknown): void {
    this.#room = null;
    const feedback = el('p', { class: 'form-error', attrs: { role: 'alert' } }, error ? describeError(error) : '');
    const join = el(
      'button',
      {
        class: 'primary',
        attrs: { type: 'button' },
        on: {
          click: () => {
            join.disabled = true;
            this.#actions
              .join(roomId)
              .catch((err: unknown) => (feedback.textContent = describeError(err)))
              .finally(() => (join.disabled = false));
          },
        },
      },
      'Join room',
    );
    replaceChildren(
      this.element,
      this.#backLink(),
      el(
        'div',
        { class: 'empty-chat' },
        el('h2', {}, room ? userText(room.name) : 'Room not available'),
        room ? el('p', {}, `${room.memberCount} members. You are not a member yet.`) : null,
        room ? join : null,
        feedback,
      ),
    );
  }

  showRoom(room: MemberRoom, me: Account): void {
    const switching = this.#room?.id !== room.id;
    this.#room = room;
    this.#me = me;
    this.#list.setMyName(me.username);
    if (!switching) return this.updateRoom(room);
    this.#sendError.textContent = '';
    this.#typing.textContent = '';
    this.#pending.replaceChildren();
    this.#list.reset(me.id, []);
    this.#onlineSection.hidden = true;
    this.#olderButton.hidden = true;
    this.#start.hidden = true;
    this.#jump.hidden = true;
    this.#input.value = '';
    this.#files.clear();
    this.gate.reset();
    this.#toolButtons.replaceChildren();
    this.#toolPanels.replaceChildren();
    const detailsId = uid('details');
    const details = this.#details(room, detailsId);
    const toggle = el(
      'button',
      {
        class: 'secondary small',
        attrs: { type: 'button', 'aria-expanded': 'false', 'aria-controls': detailsId },
        on: {
          click: () => {
            details.hidden = !details.hidden;
            toggle.setAttribute('aria-expanded', String(!details.hidden));
          },
        },
      },
      'Room details',
    );
    const leave = el(
      'button',
      {
        class: 'danger small',
        attrs: { type: 'button' },
        on: {
          click: () => {
            leave.disabled = true;
            this.#actions
              .leave()
              .catch((err: unknown) => (this.#sendError.textContent = describeError(err)))
              .finally(() => (leave.disabled = false));
          },
        },
      },
      'Leave room',
    );
    this.#log.replaceChildren(el('div', { class: 'log-top' }, this.#olderButton, this.#start), this.#list.element, this.#pending);
    const peer = room.direct ? { id: room.direct.userId, username: room.direct.username } : null;
    this.#direct = peer !== null;
    replaceChildren(this.#title, ...(peer ? ['@', userText(peer.username)] : [userText(room.name)]));
    replaceChildren(this.#topic);
    this.#topic.hidden = true;
    this.element.setAttribute('aria-label', `Chat: ${peer ? `@${peer.username}` : room.name}`);
    replaceChildren(
      this.element,
      el(
        'header',
        { class: 'chat-head' },
        this.#backLink(),
        el('div', { class: 'title' }, this.#title, this.#topic, el('p', { class: 'meta room-meta' })),
        // A direct conversation has exactly two members: it is blocked, not left or added to.
        peer ? el('div', { class: 'actions' }, this.#actions.directActions?.(peer)) : el('div', { class: 'actions' }, this.#toolButtons, toggle, leave),
      ),
      details,
      this.#toolPanels,
      this.#onlineSection,
      el('div', { class: 'log-wrap' }, this.#log, this.#jump),
      this.#typing,
      this.#composer(),
    );
    this.updateRoom(room);
    // On wide screens the composer is ready to type; on phones that would pop the keyboard over the log.
    if (window.matchMedia('(min-width: 721px)').matches) this.#input.focus();
  }

  /** The open room's name and topic (they change live). */
  setSettings(settings: { name: string; topic: string }): void {
    replaceChildren(this.#topic, settings.topic === '' ? null : userText(settings.topic));
    this.#topic.hidden = settings.topic === '';
    if (this.#direct) return; // a direct conversation is titled by the other person
    replaceChildren(this.#title, userText(settings.name));
    this.element.setAttribute('aria-label', `Chat: ${settings.name}`);
  }

  /** Puts another feature's header button and panel into the open room's view (cleared on a room switch). */
  addRoomTool(button: HTMLElement, panel: HTMLElement): void {
    this.#toolButtons.append(button);
    this.#toolPanels.append(panel);
  }

  updateRoom(room: MemberRoom): void {
    const meta = this.element.querySelector('.room-meta');
    if (meta) meta.textContent = room.direct ? 'Direct message' : `${room.private ? 'Private' : 'Public'} · ${room.memberCount} ${room.memberCount === 1 ? 'member' : 'members'}`;
  }

  /** Replaces the whole log (first load of a room) and scrolls to the newest message. */
  setMessages(messages: readonly Message[], reachedStart: boolean): void {
    this.#list.reset(this.#me?.id ?? '', messages);
    this.#setReachedStart(reachedStart);
    this.#scrollToBottom();
    this.#fillViewport();
  }

  /** Older messages go on top without moving what the reader is looking at. */
  prependMessages(all: readonly Message[], reachedStart: boolean): void {
    const anchor = this.#list.element.querySelector<HTMLElement>('[data-seq]');
    const anchorSeq = anchor ? Number(anchor.dataset.seq) : null;
    const offset = anchor ? anchor.offsetTop - this.#log.scrollTop : 0;
    this.#list.reset(this.#me?.id ?? '', all);
    this.#setReachedStart(reachedStart);
    const again = anchorSeq === null ? null : this.#list.item(anchorSeq);
    if (again) this.#log.scrollTop = again.offsetTop - offset;
  }

  async #changeMessage(change: () => Promise<void>): Promise<void> {
    this.#sendError.textContent = '';
    try {
      await change();
    } catch (err) {
      this.#sendError.textContent = describeError(err);
    }
  }

  appendMessages(messages: readonly Message[]): void {
    if (messages.length === 0) return;
    const stick = this.#atBottom();
    this.#list.append(messages);
    for (const message of messages) this.#dropConfirmedPending(message);
    if (stick) this.#scrollToBottom();
    else this.#jump.hidden = false;
  }

  setOnline(users: readonly MessageSender[] | null): void {
    if (users === null) {
      this.#onlineSection.hidden = true;
      return;
    }
    this.#onlineSection.hidden = false;
    replaceChildren(
      this.#onlineSection,
      el('span', { class: 'online-label', attrs: { 'aria-hidden': 'true' } }, `Online (${users.length})`),
      this.#online,
    );
    replaceChildren(this.#online, ...users.map((u) => el('li', {}, el('span', { class: 'presence-dot', attrs: { 'aria-hidden': 'true' } }), userNameButton(u, this.#me?.id))));
  }

  /** Shows a problem in the composer's alert line. */
  showError(text: string): void {
    this.#sendError.textContent = text;
  }

  setTyping(names: readonly string[]): void {
    this.#typing.textContent = typingText(names);
  }

  #composer(): HTMLFormElement {
    return el(
      'form',
      {
        class: 'composer',
        attrs: { 'aria-label': 'Send a message' },
        on: {
          submit: (event) => {
            event.preventDefault();
            this.#send();
          },
        },
      },
      el(
        'div',
        { class: 'composer-row' },
        this.#files.button,
        field('Message', this.#input, 'Enter sends, Shift+Enter adds a line. Drop or paste files to attach them.'),
        this.#sendButton,
      ),
      this.gate.note,
      this.#mentions.element,
      this.#files.list,
      this.#sendError,
    );
  }

  /** Names for @-autocomplete: who wrote in the loaded history and who is online (bounded by what is shown). */
  *#mentionNames(): Iterable<string> {
    for (const node of this.#list.element.querySelectorAll('.sender')) if (node.textContent) yield node.textContent;
    for (const node of this.#online.querySelectorAll('li')) if (node.textContent) yield node.textContent;
  }

  #send(): void {
    if (this.gate.closed) return;
    const text = this.#input.value;
    if (this.#files.count > 0) {
      void this.#sendWithFiles(text);
      return;
    }
    if (text.trim() === '') return;
    this.#input.value = '';
    this.#autoGrow();
    this.#sendError.textContent = '';
    const item = el(
      'li',
      { class: 'msg mine pending' },
      el('div', { class: 'msg-head' }, el('span', { class: 'sender' }, userText(this.#me?.username ?? '')), ' ', el('span', { class: 'status' }, 'Sending…')),
      el('p', { class: 'msg-text', attrs: { dir: 'auto' } }, displayText(text)),
    );
    item.dataset.text = text;
    this.#pending.appendChild(item);
    this.#scrollToBottom();
    this.#actions.send(text).then(
      () => {
        // The stored copy arrives on the subscription; until it does, show it as sent.
        item.classList.add('sent');
        const status = item.querySelector('.status');
        if (status) status.textContent = 'Sent';
        setTimeout(() => item.remove(), 5000);
      },
      (err: unknown) => {
        item.remove();
        this.#sendError.textContent = `Not sent: ${describeError(err)}`;
        if (this.#input.value === '') {
          this.#input.value = text;
          this.#autoGrow();
        }
      },
    );
  }

  /** Waits for the composer's uploads, then sends their ids with the text (which may be empty). */
  async #sendWithFiles(text: string): Promise<void> {
    let ids: string[];
    try {
      ids = await this.#files.take();
    } catch {
      return; // The failed upload is shown in the list; the rest stay for another try.
    }
    if (ids.length === 0 && text.trim() === '') return;
    this.#input.value = '';
    this.#autoGrow();
    this.#sendError.textContent = '';
    try {
      await this.#actions.send(text.trim() === '' ? '' : text, ids);
    } catch (err) {
      this.#sendError.textContent = `Not sent: ${describeError(err)}`;
      if (this.#input.value === '') this.#input.value = text;
    }
  }

  #dropConfirmedPending(message: Message): void {
    if (message.type !== 'text' || message.sender.id !== this.#me?.id) return;
    for (const item of this.#pending.children) {
      if (item instanceof HTMLElement && item.dataset.text === message.text) {
        item.remove();
        return;
      }
    }
  }

  #details(room: MemberRoom, id: string): HTMLElement {
    const copyFeedback = el('span', { class: 'meta', attrs: { 'aria-live': 'polite' } });
    const roomIdInput = el('input', { class: 'mono', attrs: { readonly: true, value: room.id } });
    const userId = el('input', { attrs: { name: 'userId', required: true, autocomplete: 'off', spellcheck: 'false' } });
    const feedback = el('p', { class: 'form-feedback', attrs: { role: 'status' } });
    const addButton = el('button', { class: 'secondary', attrs: { type: 'submit' } }, 'Add member');
    return el(
      'div',
      { class: 'details', attrs: { id, hidden: true } },
      el(
        'div',
        { class: 'inline' },
        field("This room's ID", roomIdInput),
        el(
          'button',
          {
            class: 'secondary',
            attrs: { type: 'button' },
            on: {
              click: () => {
                roomIdInput.select();
                navigator.clipboard?.writeText(room.id).then(
                  () => (copyFeedback.textContent = 'Copied'),
                  () => (copyFeedback.textContent = 'Select and copy the ID'),
                );
              },
            },
          },
          'Copy room ID',
        ),
        copyFeedback,
      ),
      el(
        'form',
        {
          class: 'inline',
          attrs: { 'aria-label': 'Add a member' },
          on: {
            submit: submitAction(addButton, feedback, async () => {
              await this.#actions.addMember(userId.value.trim());
              feedback.textContent = 'Member added.';
              userId.value = '';
            }),
          },
        },
        field('User ID to add', userId),
        addButton,
      ),
      room.private ? el('p', { class: 'hint' }, 'Private rooms are joined only this way: members add people by their user ID.') : null,
      feedback,
    );
  }

  #backLink(): HTMLAnchorElement {
    return el('a', { class: 'back', attrs: { href: '#/' } }, el('span', { attrs: { 'aria-hidden': 'true' } }, '← '), 'Back to rooms');
  }

  #setReachedStart(reachedStart: boolean): void {
    this.#reachedStart = reachedStart;
    this.#olderButton.hidden = reachedStart;
    this.#start.hidden = !reachedStart;
  }

  async #loadOlder(): Promise<void> {
    if (this.#loadingOlder || this.#reachedStart || this.#room === null) return;
    this.#loadingOlder = true;
    this.#olderButton.disabled = true;
    this.#olderButton.textContent = 'Loading…';
    try {
      await this.#actions.loadOlder();
    } catch (err) {
      this.#sendError.textContent = describeError(err);
    } finally {
      this.#loadingOlder = false;
      this.#olderButton.disabled = false;
      this.#olderButton.textContent = 'Load older messages';
    }
    this.#fillViewport();
  }

  /** Keeps loading older pages while they do not fill the log, so scrolling up can reach them. */
  #fillViewport(): void {
    if (!this.#reachedStart && this.#log.scrollHeight <= this.#log.clientHeight + 8) void this.#loadOlder();
  }

  #onScroll(): void {
    if (this.#log.scrollTop < 120) void this.#loadOlder();
    if (this.#atBottom()) {
      this.#jump.hidden = true;
      this.#actions.sawLatest();
    }
  }

  #atBottom(): boolean {
    return this.#log.scrollHeight - this.#log.scrollTop - this.#log.clientHeight <= STICK_PX;
  }

  #scrollToBottom(): void {
    this.#log.scrollTop = this.#log.scrollHeight;
    this.#jump.hidden = true;
    this.#actions.sawLatest();
  }

  #autoGrow(): void {
    this.#input.style.height = 'auto';
    this.#input.style.height = `${Math.min(this.#input.scrollHeight, 160)}px`;
  }
}
