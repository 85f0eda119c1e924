import { ownString } from './own-string.js';

/**
 * One copy of each string of a bounded set that many connections keep alike, such as the
 * subscription ids clients number the same way (stompjs: sub-0, sub-1, ...): an idle server
 * would otherwise hold the same few strings once per connection. A string longer than
 * `maxLength`, or met once the set is full, gets a copy of its own (see ownString).
 */
export class SharedStrings {
  readonly #strings = new Map<string, string>();

  constructor(
    private readonly maxStrings: number,
    private readonly maxLength: number,
  ) {}

  /** The shared copy of `text`, or an own copy of it. */
  of(text: string): string {
    const shared = this.#strings.get(text);
    if (shared !== undefined) return shared;
    const own = ownString(text);
    if (own.length <= this.maxLength && this.#strings.size < this.maxStrings) this.#strings.set(own, own);
    return own;
  }
}
