import type { UserSummary } from '../api/types.js';

/**
 * The users I block, as the client knows them (loaded from GET /api/me/blocks, then kept in step
 * with my own block and unblock calls). Views subscribe to re-render when it changes.
 */
export class BlockedUsers {
  readonly #users = new Map<string, UserSummary>();
  readonly #listeners = new Set<() => void>();

  has(userId: string): boolean {
    return this.#users.has(userId);
  }

  /** By username, as people scan a list. */
  list(): UserSummary[] {
    return [...this.#users.values()].sort((a, b) => a.username.localeCompare(b.username));
  }

  replace(users: readonly UserSummary[]): void {
    this.#users.clear();
    for (const user of users) this.#users.set(user.id, { id: user.id, username: user.username });
    this.#changed();
  }

  add(user: UserSummary): void {
    if (this.#users.has(user.id)) return;
    this.#users.set(user.id, { id: user.id, username: user.username });
    this.#changed();
  }

  remove(userId: string): void {
    if (this.#users.delete(userId)) this.#changed();
  }

  /** Calls `listener` after every change; returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}
