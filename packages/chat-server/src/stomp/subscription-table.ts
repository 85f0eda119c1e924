/**
 * A session's subscriptions by id (SessionSubscriptions extends it). Most sessions hold one room
 * subscription (the errors queue is kept apart), and an idle server keeps one table per
 * connection, so the first entry lives in two fields and a Map is made only for more.
 */
export class SubscriptionTable<T> {
  #firstId: string | null = null;
  #first: T | undefined;
  #more: Map<string, T> | null = null;

  get size(): number {
    return (this.#firstId !== null ? 1 : 0) + (this.#more?.size ?? 0);
  }

  get(id: string): T | undefined {
    return id === this.#firstId ? this.#first : this.#more?.get(id);
  }

  has(id: string): boolean {
    return id === this.#firstId || (this.#more?.has(id) ?? false);
  }

  set(id: string, value: T): void {
    if (id === this.#firstId) this.#first = value;
    else if (this.#more?.has(id)) this.#more.set(id, value);
    else if (this.#firstId === null) {
      this.#firstId = id;
      this.#first = value;
    } else (this.#more ??= new Map()).set(id, value);
  }

  delete(id: string): boolean {
    if (id === this.#firstId) {
      this.#firstId = null;
      this.#first = undefined;
      return true;
    }
    if (!this.#more?.delete(id)) return false;
    if (this.#more.size === 0) this.#more = null;
    return true;
  }

  clear(): void {
    this.#firstId = null;
    this.#first = undefined;
    this.#more = null;
  }

  *values(): IterableIterator<T> {
    for (const [, value] of this) yield value;
  }

  *[Symbol.iterator](): IterableIterator<[string, T]> {
    if (this.#firstId !== null) yield [this.#firstId, this.#first as T];
    if (this.#more) yield* this.#more;
  }
}
