import { el, replaceChildren } from './dom.js';

const MAX_SUGGESTIONS = 8;
const TOKEN = /(?:^|[^A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{0,32})$/;

/**
 * @-autocomplete for the composer: typing `@pre` lists the room's known members (from `names`)
 * starting with it; a click, Tab or Enter puts `@name ` in place of the token.
 */
export class MentionAutocomplete {
  readonly element = el('ul', { class: 'mention-suggestions', attrs: { role: 'listbox', 'aria-label': 'Mention someone', hidden: true } });
  #matches: string[] = [];

  constructor(
    private readonly input: HTMLTextAreaElement,
    private readonly names: () => Iterable<string>,
  ) {}

  /** After each input: shows the names matching the `@token` before the caret, if any. */
  update(): void {
    const token = this.#token();
    if (token === null) return this.close();
    const prefix = token.toLowerCase();
    const seen = new Set<string>();
    this.#matches = [];
    for (const name of this.names()) {
      if (seen.has(name) || !name.toLowerCase().startsWith(prefix)) continue;
      seen.add(name);
      this.#matches.push(name);
      if (this.#matches.length >= MAX_SUGGESTIONS) break;
    }
    if (this.#matches.length === 0) return this.close();
    replaceChildren(
      this.element,
      ...this.#matches.map((name) =>
        el('li', { attrs: { role: 'option' } }, el('button', { class: 'link small', attrs: { type: 'button' }, on: { mousedown: (e) => e.preventDefault(), click: () => this.accept(name) } }, `@${name}`)),
      ),
    );
    this.element.hidden = false;
  }

  /** Tab or Enter while suggestions show takes the first; returns whether it handled the key. */
  onKeydown(event: KeyboardEvent): boolean {
    if (this.element.hidden || this.#matches.length === 0) return false;
    if (event.key === 'Escape') {
      this.close();
      return true;
    }
    if (event.key !== 'Tab' && event.key !== 'Enter') return false;
    event.preventDefault();
    this.accept(this.#matches[0]!);
    return true;
  }

  accept(name: string): void {
    const caret = this.input.selectionStart ?? this.input.value.length;
    const before = this.input.value.slice(0, caret);
    const token = TOKEN.exec(before);
    if (!token) return this.close();
    const start = caret - token[1]!.length - 1;
    this.input.value = `${this.input.value.slice(0, start)}@${name} ${this.input.value.slice(caret)}`;
    const at = start + name.length + 2;
    this.input.setSelectionRange(at, at);
    this.input.focus();
    this.close();
  }

  close(): void {
    this.#matches = [];
    this.element.hidden = true;
    replaceChildren(this.element);
  }

  #token(): string | null {
    const caret = this.input.selectionStart ?? this.input.value.length;
    const match = TOKEN.exec(this.input.value.slice(0, caret));
    return match ? match[1]! : null;
  }
}
