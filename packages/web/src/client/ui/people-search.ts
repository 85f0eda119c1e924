import { describeError } from '../api/api-error.js';
import type { UserSummary } from '../api/types.js';
import { el, field, replaceChildren, userText } from './dom.js';

/** Typing pauses this long before a search is sent: the server allows 30 searches a minute. */
const DEBOUNCE_MS = 300;
/** The server's limits: `q` of at most 32 characters, at most 20 results. */
const MAX_QUERY = 32;
const MAX_RESULTS = 20;
/** Answers kept per prefix, so backspacing and retyping cost no requests. */
const CACHE_SIZE = 50;

export interface PeopleSearchActions {
  /** Users whose username starts with `prefix`. */
  search(prefix: string, limit: number): Promise<UserSummary[]>;
  /** Opens (creating on first use) the direct conversation with `user`. */
  openDirect(user: UserSummary): Promise<void>;
  /** My user id: I am left out of the results. */
  myId(): string | null;
}

/**
 * "New message": a username prefix search (debounced, bounded, answers cached) whose results
 * open the direct conversation with that person. Failures (rate limit, a refusal) show beside it.
 */
export class PeopleSearch {
  readonly element: HTMLElement;
  readonly #actions: PeopleSearchActions;
  readonly #input = el('input', { attrs: { type: 'search', name: 'person', maxlength: MAX_QUERY, autocomplete: 'off', spellcheck: 'false', placeholder: 'Username' } });
  readonly #results = el('ul', { class: 'room-list people-results', attrs: { 'aria-label': 'People found' } });
  readonly #status = el('p', { class: 'meta', attrs: { role: 'status' } });
  readonly #error = el('p', { class: 'form-error', attrs: { role: 'alert' } });
  readonly #cache = new Map<string, UserSummary[]>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** Only the answer to the newest query is shown. */
  #latest = 0;

  constructor(actions: PeopleSearchActions) {
    this.#actions = actions;
    this.#input.addEventListener('input', () => this.#schedule());
    this.#input.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.clear();
      // Enter takes the first person found; the arrow keys walk the results.
      const first = this.#results.querySelector<HTMLButtonElement>('button');
      if (!first || (event.key !== 'Enter' && event.key !== 'ArrowDown')) return;
      event.preventDefault();
      if (event.key === 'Enter') first.click();
      else first.focus();
    });
    this.#results.addEventListener('keydown', (event) => {
      if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
      event.preventDefault();
      const buttons = [...this.#results.querySelectorAll<HTMLButtonElement>('button')];
      const next = buttons.indexOf(document.activeElement as HTMLButtonElement) + (event.key === 'ArrowDown' ? 1 : -1);
      (next < 0 ? this.#input : buttons[Math.min(next, buttons.length - 1)])?.focus();
    });
    this.element = el(
      'section',
      { class: 'panel stack people-search', attrs: { 'aria-label': 'New message' } },
      el('h2', {}, 'New message'),
      field('Find a person', this.#input, 'Type the start of a username.'),
      this.#status,
      this.#error,
      this.#results,
    );
  }

  clear(): void {
    this.#input.value = '';
    this.#latest++;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#status.textContent = '';
    this.#error.textContent = '';
    replaceChildren(this.#results);
  }

  /** The prefix to search for: `@name` and `name` are the same. */
  #prefix(): string {
    return this.#input.value.trim().replace(/^@/, '').slice(0, MAX_QUERY);
  }

  #schedule(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#error.textContent = '';
    const prefix = this.#prefix();
    const ticket = ++this.#latest;
    if (prefix === '') {
      this.#timer = null;
      this.#status.textContent = '';
      replaceChildren(this.#results);
      return;
    }
    const cached = this.#cache.get(prefix.toLowerCase());
    if (cached) {
      this.#timer = null;
      this.#show(cached);
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#search(prefix, ticket);
    }, DEBOUNCE_MS);
  }

  async #search(prefix: string, ticket: number): Promise<void> {
    this.#status.textContent = 'Searching…';
    try {
      const users = await this.#actions.search(prefix, MAX_RESULTS);
      this.#remember(prefix.toLowerCase(), users);
      if (ticket === this.#latest) this.#show(users);
    } catch (err) {
      if (ticket !== this.#latest) return;
      this.#status.textContent = '';
      replaceChildren(this.#results);
      this.#error.textContent = describeError(err);
    }
  }

  #remember(key: string, users: UserSummary[]): void {
    if (this.#cache.size >= CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(key, users);
  }

  #show(found: readonly UserSummary[]): void {
    const me = this.#actions.myId();
    const users = found.filter((user) => user.id !== me);
    this.#status.textContent = users.length === 0 ? 'No one found.' : `${users.length} ${users.length === 1 ? 'person' : 'people'} found.`;
    replaceChildren(this.#results, ...users.map((user) => el('li', {}, this.#pick(user))));
  }

  #pick(user: UserSummary): HTMLButtonElement {
    const button = el(
      'button',
      {
        class: 'person-pick',
        attrs: { type: 'button', title: 'Open the direct conversation' },
        on: {
          click: () => {
            button.disabled = true;
            this.#error.textContent = '';
            this.#actions
              .openDirect(user)
              .then(() => this.clear())
              .catch((err: unknown) => (this.#error.textContent = describeError(err)))
              .finally(() => (button.disabled = false));
          },
        },
      },
      '@',
      userText(user.username),
    );
    return button;
  }
}
