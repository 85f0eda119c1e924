import { describeError } from '../api/api-error.js';
import type { UserSummary } from '../api/types.js';
import { el, replaceChildren, userText } from './dom.js';

export interface UserMenuActions {
  openDirect(user: UserSummary): Promise<void>;
  block(user: UserSummary): Promise<void>;
  unblock(user: UserSummary): Promise<void>;
  isBlocked(userId: string): boolean;
  myId(): string | null;
}

/**
 * A person's name that opens the user menu (UserMenu.attach listens on an ancestor). My own name,
 * and a name without an id, are plain text.
 */
export function userNameButton(user: UserSummary, myId: string | null | undefined, className = 'user-name'): HTMLElement {
  if (user.id === '' || user.id === myId) return el('span', { class: className }, userText(user.username));
  return el(
    'button',
    { class: `${className} name-button`, attrs: { type: 'button', 'aria-haspopup': 'menu', 'data-user-id': user.id, 'data-username': user.username } },
    userText(user.username),
  );
}

/**
 * The menu of a person's name in the chat: "Message @name" opens our direct conversation;
 * "Block"/"Unblock" toggles the block. One menu at a time, fixed over the page so the message
 * log's scrolling cannot clip it; Escape, a click elsewhere or scrolling closes it.
 */
export class UserMenu {
  readonly #actions: UserMenuActions;
  readonly #menu = el('div', { class: 'user-menu', attrs: { role: 'menu', hidden: true } });
  #trigger: HTMLElement | null = null;

  constructor(actions: UserMenuActions) {
    this.#actions = actions;
    this.#menu.addEventListener('keydown', (event) => this.#onKeydown(event));
    document.addEventListener('pointerdown', (event) => {
      if (this.#trigger && !this.#menu.contains(event.target as Node) && !this.#trigger.contains(event.target as Node)) this.close();
    });
    // The log scrolls as messages arrive: the menu follows its name (or goes with it).
    document.addEventListener('scroll', () => this.#place(), { capture: true, passive: true });
    window.addEventListener('resize', () => this.#place());
  }

  /** Opens the menu for every name button (`data-user-id`) inside `root`. */
  attach(root: HTMLElement): void {
    root.addEventListener('click', (event) => {
      const trigger = (event.target as Element | null)?.closest<HTMLElement>('button[data-user-id]');
      if (!trigger || !root.contains(trigger)) return;
      event.preventDefault();
      if (this.#trigger === trigger) this.close();
      else this.#open(trigger);
    });
  }

  close(): void {
    if (!this.#trigger) return;
    this.#trigger.setAttribute('aria-expanded', 'false');
    this.#trigger = null;
    this.#menu.hidden = true;
    replaceChildren(this.#menu);
  }

  #open(trigger: HTMLElement): void {
    this.close();
    const user = { id: trigger.dataset.userId ?? '', username: trigger.dataset.username ?? '' };
    if (user.id === '' || user.id === this.#actions.myId()) return;
    if (!this.#menu.isConnected) document.body.appendChild(this.#menu);
    this.#trigger = trigger;
    trigger.setAttribute('aria-expanded', 'true');
    this.#menu.setAttribute('aria-label', `@${user.username}`);
    const error = el('p', { class: 'form-error', attrs: { role: 'alert' } });
    const blocked = this.#actions.isBlocked(user.id);
    replaceChildren(
      this.#menu,
      this.#item(['Message @', userText(user.username)], error, () => this.#actions.openDirect(user)),
      blocked
        ? this.#item(['Unblock @', userText(user.username)], error, () => this.#actions.unblock(user))
        : this.#item(['Block @', userText(user.username)], error, () => this.#actions.block(user), 'danger-text'),
      error,
    );
    this.#menu.hidden = false;
    this.#place();
    this.#menu.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
  }

  #place(): void {
    if (!this.#trigger) return;
    if (!this.#trigger.isConnected) return this.close();
    const box = this.#trigger.getBoundingClientRect();
    this.#menu.style.left = `${Math.max(4, Math.min(box.left, window.innerWidth - this.#menu.offsetWidth - 4))}px`;
    this.#menu.style.top = `${Math.max(4, Math.min(box.bottom + 4, window.innerHeight - this.#menu.offsetHeight - 4))}px`;
  }

  #item(label: Array<string | Node>, error: HTMLElement, action: () => Promise<void>, className = ''): HTMLButtonElement {
    const item = el(
      'button',
      {
        class: `menu-item ${className}`.trim(),
        attrs: { type: 'button', role: 'menuitem' },
        on: {
          click: () => {
            item.disabled = true;
            error.textContent = '';
            action()
              .then(() => this.close())
              .catch((err: unknown) => (error.textContent = describeError(err)))
              .finally(() => (item.disabled = false));
          },
        },
      },
      ...label,
    );
    return item;
  }

  #onKeydown(event: KeyboardEvent): void {
    const items = [...this.#menu.querySelectorAll<HTMLElement>('[role="menuitem"]')];
    const at = items.indexOf(document.activeElement as HTMLElement);
    if (event.key === 'Escape') {
      const trigger = this.#trigger;
      this.close();
      trigger?.focus();
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const step = event.key === 'ArrowDown' ? 1 : -1;
      items[(at + step + items.length) % items.length]?.focus();
    } else if (event.key === 'Tab') {
      this.close();
    }
  }
}
