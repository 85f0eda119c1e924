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
  /** The prefix (lower case) whose answer the list shows: older results are not picked by Enter. */
  #shownFor: string | null = null;
  /** Enter was pressed before the answer for the typed prefix came: pick its first person then. */
  #pickWhenShown = false;
  #searching = false;

  constructor(actions: PeopleSearchActions) {
    this.#actions = actions;
    this.#input.addEventListener('input', () => this.#schedule());
    this.#input.addEventListener('keydown', (event) => this.#onKeydown(event));
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

  /** Forgets the signed-out user's searches too. */
  reset(): void {
    this.clear();
    this.#cache.clear();
  }

  clear(): void {
    this.#input.value = '';
    this.#latest++;
    this.#shownFor = null;
    this.#pickWhenShown = false;
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

  /** Enter takes the first person found for what is typed; ArrowDown moves into the results. */
  #onKeydown(event: KeyboardEvent): void {
    if (event.key === 'Escape') return this.clear();
    const first = this.#results.querySelector<HTMLButtonElement>('button');
    if (event.key === 'ArrowDown' && first) {
      event.preventDefault();
      first.focus();
    }
    if (event.key !== 'Enter' || event.isComposing) return;
    event.preventDefault();
    const prefix = this.#prefix();
    if (prefix === '') return;
    if (this.#shownFor === prefix.toLowerCase()) {
      first?.click();
      return;
    }
    this.#pickWhenShown = true;
    // Typing paused or not, Enter searches now (again, after a failure).
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (!this.#searching) void this.#search(prefix, this.#latest);
  }

  #schedule(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#pickWhenShown = false;
    this.#error.textContent = '';
    const prefix = this.#prefix();
    const ticket = ++this.#latest;
    if (prefix === '') {
      this.#timer = null;
      this.#shownFor = null;
      this.#status.textContent = '';
      replaceChildren(this.#results);
      return;
    }
    const cached = this.#cache.get(prefix.toLowerCase());
    if (cached) {
      this.#timer = null;
      this.#show(prefix, cached);
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#search(prefix, ticket);
    }, DEBOUNCE_MS);
  }

  async #search(prefix: string, ticket: number): Promise<void> {
    this.#status.textContent = 'Searching…';
    this.#searching = true;
    try {
      const users = await this.#actions.search(prefix, MAX_RESULTS);
      this.#remember(prefix.toLowerCase(), users);
      if (ticket === this.#latest) this.#show(prefix, users);
    } catch (err) {
      if (ticket !== this.#latest) return;
      this.#pickWhenShown = false;
      this.#shownFor = null;
      this.#status.textContent = '';
      replaceChildren(this.#results);
      this.#error.textContent = describeError(err);
    } finally {
      this.#searching = false;
    }
  }

  #remember(key: string, users: UserSummary[]): void {
    if (this.#cache.size >= CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(key, users);
  }

  #show(prefix: string, found: readonly UserSummary[]): void {
    const me = this.#actions.myId();
    const users = found.filter((user) => user.id !== me);
    this.#shownFor = prefix.toLowerCase();
    this.#status.textContent = users.length === 0 ? 'No one found.' : `${users.length} ${users.length === 1 ? 'person' : 'people'} found.`;
    replaceChildren(this.#results, ...users.map((user) => el('li', {}, this.#pick(user))));
    if (this.#pickWhenShown) {
      this.#pickWhenShown = false;
      this.#results.querySelector<HTMLButtonElement>('button')?.click();
    }
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
