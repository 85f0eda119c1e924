import { mentionBadge } from './mentions.js';
import { describeError } from '../api/api-error.js';
import type { MemberRoom, Message, Room } from '../api/types.js';
import { el, field, lockIcon, replaceChildren, srOnly, userText } from './dom.js';
import { submitAction } from './form-action.js';
import { displayText, fullTime, shortTime } from './format.js';

export interface SidebarActions {
  openRoom(roomId: string): void;
  createRoom(name: string, isPrivate: boolean): Promise<void>;
  joinRoom(roomId: string): Promise<void>;
  loadPublicRooms(more: boolean): Promise<void>;
  /** Messages matching `text` in my rooms, with the name of each message's room. */
  search(text: string): Promise<Array<{ message: Message; roomName: string }>>;
}

/** Rooms pane: message search, my rooms with live unread counts, create, join by ID, public rooms. */
export class SidebarView {
  readonly element: HTMLElement;
  readonly #actions: SidebarActions;
  readonly #myRooms = el('ul', { class: 'room-list', attrs: { 'aria-label': 'Your rooms' } });
  readonly #publicRooms = el('ul', { class: 'room-list public', attrs: { 'aria-label': 'Public rooms' } });
  readonly #morePublic: HTMLButtonElement;
  readonly #publicError = el('p', { class: 'form-error', attrs: { role: 'alert' } });

  /** `panels.people`: the "New message" people search, shown under my rooms. */
  constructor(actions: SidebarActions, panels: { people?: HTMLElement } = {}) {
    this.#actions = actions;
    this.#morePublic = el(
      'button',
      { class: 'secondary small', attrs: { type: 'button', hidden: true }, on: { click: () => this.#loadPublic(true) } },
      'Load more public rooms',
    );
    this.element = el(
      'nav',
      { class: 'sidebar', attrs: { 'aria-label': 'Rooms' } },
      this.#searchForm(),
      el('section', { class: 'panel' }, el('h2', {}, 'Your rooms'), this.#myRooms),
      panels.people,
      this.#createForm(),
      this.#joinForm(),
      el(
        'section',
        { class: 'panel' },
        el(
          'div',
          { class: 'panel-head' },
          el('h2', {}, 'Public rooms'),
          el(
            'button',
            { class: 'link small', attrs: { type: 'button' }, on: { click: () => this.#loadPublic(false) } },
            'Refresh',
            srOnly(' public rooms'),
          ),
        ),
        this.#publicRooms,
        this.#publicError,
        this.#morePublic,
      ),
    );
  }

  renderMyRooms(rooms: readonly MemberRoom[], activeId: string | null): void {
    if (rooms.length === 0) {
      replaceChildren(this.#myRooms, el('li', { class: 'empty' }, 'No rooms yet. Create one or join a public room.'));
      return;
    }
    replaceChildren(
      this.#myRooms,
      ...rooms.map((room) =>
        el(
          'li',
          {},
          el(
            'a',
            {
              class: room.unread > 0 ? 'room-link unread' : 'room-link',
              attrs: { href: `#/rooms/${encodeURIComponent(room.id)}`, 'aria-current': room.id === activeId ? 'page' : undefined },
            },
            el('span', { class: 'room-name' }, room.private ? lockIcon() : null, userText(room.direct ? `@${room.direct.username}` : room.name)),
            room.private ? srOnly(' (private)') : null,
            room.unread > 0
              ? el('span', { class: 'badge', attrs: { 'data-unread': room.unread } }, String(room.unread), srOnly(' unread'))
              : null,
            mentionBadge(room.mentions),
          ),
        ),
      ),
    );
  }

  renderPublicRooms(rooms: readonly Room[], memberOf: ReadonlySet<string>, hasMore: boolean): void {
    this.#morePublic.hidden = !hasMore;
    this.#publicError.textContent = '';
    if (rooms.length === 0) {
      replaceChildren(this.#publicRooms, el('li', { class: 'empty' }, 'No public rooms yet.'));
      return;
    }
    replaceChildren(
      this.#publicRooms,
      ...rooms.map((room) => {
        const member = memberOf.has(room.id);
        const button = el(
          'button',
          {
            class: member ? 'secondary small' : 'primary small',
            attrs: { type: 'button', 'aria-label': `${member ? 'Open' : 'Join'} ${room.name}` },
            on: {
              click: () => {
                if (member) return this.#actions.openRoom(room.id);
                button.disabled = true;
                this.#actions
                  .joinRoom(room.id)
                  .catch((err: unknown) => (this.#publicError.textContent = describeError(err)))
                  .finally(() => (button.disabled = false));
              },
            },
          },
          member ? 'Open' : 'Join',
        );
        return el(
          'li',
          { class: 'public-room' },
          el('span', { class: 'room-name' }, userText(room.name)),
          el('span', { class: 'meta' }, `${room.memberCount} ${room.memberCount === 1 ? 'member' : 'members'}`),
          button,
        );
      }),
    );
  }

  showPublicError(err: unknown): void {
    this.#publicError.textContent = describeError(err);
  }

  #loadPublic(more: boolean): void {
    this.#actions.loadPublicRooms(more).catch((err: unknown) => this.showPublicError(err));
  }

  #searchForm(): HTMLElement {
    const text = el('input', { attrs: { type: 'search', name: 'q', required: true, maxlength: 200, autocomplete: 'off' } });
    const error = el('p', { class: 'form-error', attrs: { role: 'alert' } });
    const results = el('ul', { class: 'room-list search-results', attrs: { 'aria-label': 'Search results', 'aria-live': 'polite' } });
    const button = el('button', { class: 'secondary', attrs: { type: 'submit' } }, 'Search');
    const show = (found: Array<{ message: Message; roomName: string }>) => {
      if (found.length === 0) {
        replaceChildren(results, el('li', { class: 'empty' }, 'No messages found.'));
        return;
      }
      replaceChildren(
        results,
        ...found.map(({ message, roomName }) =>
          el(
            'li',
            {},
            el(
              'a',
              { class: 'search-hit', attrs: { href: `#/rooms/${encodeURIComponent(message.roomId)}` } },
              el('span', { class: 'meta' }, userText(roomName), ' · ', userText(message.sender.username), ' · ', el('time', { attrs: { datetime: message.createdAt, title: fullTime(message.createdAt) } }, shortTime(message.createdAt))),
              el('span', { class: 'search-text', attrs: { dir: 'auto' } }, displayText(searchSnippet(message))),
            ),
          ),
        ),
      );
    };
    return el(
      'form',
      {
        class: 'panel stack',
        attrs: { role: 'search', 'aria-label': 'Search messages' },
        on: {
          submit: submitAction(
            button,
            error,
            async () => show(await this.#actions.search(text.value.trim())),
            () => replaceChildren(results),
          ),
        },
      },
      el('h2', {}, 'Search'),
      el('div', { class: 'inline' }, field('Words or "a phrase"', text), button),
      error,
      results,
    );
  }

  #createForm(): HTMLElement {
    const name = el('input', { attrs: { name: 'name', required: true, maxlength: 100, autocomplete: 'off' } });
    const isPrivate = el('input', { attrs: { type: 'checkbox', name: 'private' } });
    const error = el('p', { class: 'form-error', attrs: { role: 'alert' } });
    const button = el('button', { class: 'primary', attrs: { type: 'submit' } }, 'Create room');
    return el(
      'form',
      {
        class: 'panel stack',
        attrs: { 'aria-label': 'Create a room' },
        on: {
          submit: submitAction(button, error, async () => {
            await this.#actions.createRoom(name.value.trim(), isPrivate.checked);
            name.value = '';
            isPrivate.checked = false;
          }),
        },
      },
      el('h2', {}, 'New room'),
      field('Room name', name),
      field('Private room (members add others)', isPrivate),
      error,
      button,
    );
  }

  #joinForm(): HTMLElement {
    const roomId = el('input', { attrs: { name: 'roomId', required: true, autocomplete: 'off', spellcheck: 'false' } });
    const error = el('p', { class: 'form-error', attrs: { role: 'alert' } });
    const button = el('button', { class: 'secondary', attrs: { type: 'submit' } }, 'Join');
    return el(
      'form',
      {
        class: 'panel stack',
        attrs: { 'aria-label': 'Join a room by ID' },
        on: {
          submit: submitAction(button, error, async () => {
            await this.#actions.joinRoom(roomId.value.trim());
            roomId.value = '';
          }),
        },
      },
      el('h2', {}, 'Join by ID'),
      el('div', { class: 'inline' }, field('Room ID', roomId), button),
      error,
    );
  }
}

/** What a search hit shows: its text, or for a message of files only, their names. */
function searchSnippet(message: Message): string {
  const text = message.text !== '' ? message.text : `📎 ${(message.attachments ?? []).map((a) => a.name).join(', ')}`;
  return text.length > 140 ? `${text.slice(0, 140)}…` : text;
}
