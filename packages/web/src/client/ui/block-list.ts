import { describeError } from '../api/api-error.js';
import type { UserSummary } from '../api/types.js';
import type { BlockedUsers } from '../state/blocked-users.js';
import { el, replaceChildren, userText } from './dom.js';

export interface BlockListActions {
  unblock(user: UserSummary): Promise<void>;
}

/** The account menu's list of the people I block, each with Unblock. Follows the store. */
export class BlockList {
  readonly element: HTMLElement;
  readonly #list = el('ul', { class: 'block-list', attrs: { 'aria-label': 'Blocked users' } });
  readonly #error = el('p', { class: 'form-error', attrs: { role: 'alert' } });
  readonly #blocked: BlockedUsers;
  readonly #actions: BlockListActions;

  constructor(blocked: BlockedUsers, actions: BlockListActions) {
    this.#blocked = blocked;
    this.#actions = actions;
    this.element = el(
      'section',
      { class: 'stack', attrs: { 'aria-label': 'Blocked users' } },
      el('h3', {}, 'Blocked users'),
      el('p', { class: 'hint' }, 'They cannot message you; their messages in your direct conversations are hidden.'),
      this.#list,
      this.#error,
    );
    blocked.subscribe(() => this.#render());
    this.#render();
  }

  showError(err: unknown): void {
    this.#error.textContent = describeError(err);
  }

  #render(): void {
    const users = this.#blocked.list();
    if (users.length === 0) {
      replaceChildren(this.#list, el('li', { class: 'empty' }, 'You block no one.'));
      return;
    }
    replaceChildren(this.#list, ...users.map((user) => el('li', {}, userText(user.username), ' ', this.#unblockButton(user))));
  }

  #unblockButton(user: UserSummary): HTMLButtonElement {
    const button = el(
      'button',
      {
        class: 'secondary small',
        attrs: { type: 'button' },
        on: {
          click: () => {
            button.disabled = true;
            this.#error.textContent = '';
            this.#actions
              .unblock(user)
              .catch((err: unknown) => this.showError(err))
              .finally(() => (button.disabled = false));
          },
        },
      },
      'Unblock',
      el('span', { class: 'sr-only' }, ' ', userText(user.username)),
    );
    return button;
  }
}
