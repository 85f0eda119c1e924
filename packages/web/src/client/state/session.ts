import type { Account } from '../api/types.js';

export interface Session {
  token: string;
  user: Account;
}

const KEY = 'chorus.session';

/** The signed-in session, kept in localStorage so a reload stays signed in. */
export class SessionStore {
  readonly #storage: Storage;

  constructor(storage: Storage) {
    this.#storage = storage;
  }

  load(): Session | null {
    const raw = this.#storage.getItem(KEY);
    if (raw === null) return null;
    try {
      const value = JSON.parse(raw) as Partial<Session>;
      if (typeof value.token === 'string' && typeof value.user?.id === 'string') return value as Session;
    } catch {
      // fall through: a damaged entry is dropped
    }
    this.clear();
    return null;
  }

  save(session: Session): void {
    this.#storage.setItem(KEY, JSON.stringify(session));
  }

  clear(): void {
    this.#storage.removeItem(KEY);
  }
}
