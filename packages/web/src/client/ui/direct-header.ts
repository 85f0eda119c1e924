import { describeError } from '../api/api-error.js';
import type { UserSummary } from '../api/types.js';
import { el, replaceChildren, userText } from './dom.js';

export interface DirectHeaderActions {
  block(user: UserSummary): Promise<void>;
  unblock(user: UserSummary): Promise<void>;
  isBlocked(userId: string): boolean;
}

/**
 * The block state and Block/Unblock button in a direct conversation's header. One at a time (the
 * open conversation's); `refresh` re-renders it after the block list changes.
 */
export class DirectHeader {
  readonly #actions: DirectHeaderActions;
  #current: { element: HTMLElement; peer: UserSummary } | null = null;

  constructor(actions: DirectHeaderActions) {
    this.#actions = actions;
  }

  /** The header part for a conversation with `peer` (replacing the previous one). */
  render(peer: UserSummary): HTMLElement {
    const element = el('div', { class: 'direct-block' });
    this.#current = { element, peer };
    this.refresh();
    return element;
  }

  refresh(): void {
    if (!this.#current) return;
    const { element, peer } = this.#current;
    const blocked = this.#actions.isBlocked(peer.id);
    const error = el('span', { class: 'form-error', attrs: { role: 'alert' } });
    const button = el(
      'button',
      {
        class: blocked ? 'secondary small' : 'danger small',
        attrs: { type: 'button' },
        on: {
          click: () => {
            button.disabled = true;
            (blocked ? this.#actions.unblock(peer) : this.#actions.block(peer))
              .catch((err: unknown) => (error.textContent = describeError(err)))
              .finally(() => (button.disabled = false));
          },
        },
      },
      blocked ? 'Unblock' : 'Block',
      el('span', { class: 'sr-only' }, ' @', userText(peer.username)),
    );
    replaceChildren(
      element,
      blocked
        ? el('span', { class: 'blocked-note', attrs: { role: 'status' } }, 'You block @', userText(peer.username), '. Their messages here are hidden and they cannot message you.')
        : null,
      button,
      error,
    );
  }
}
