import type { Actor } from '../messaging/chat-service.js';
import type { User, UserCredentials } from '../domain/types.js';
import { forbidden, unauthorized } from '../errors.js';
import type { Store } from '../store/store.js';
import type { BoundedWork } from './bounded-work.js';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from './passwords.js';
import type { TokenService } from './tokens.js';

/** An account with a fresh token, as signup and login answer. */
export interface SignedIn<U> {
  user: U;
  token: string;
}

/** The account rules the REST API applies: signup, login, the current user, administrators. */
export class AccountService {
  constructor(
    private readonly store: Store,
    private readonly tokens: TokenService,
    /**
     * Where password hashing runs: scrypt uses libuv's thread pool (4 threads by default), which
     * file reads and DNS share, so callers cap concurrent hashes and queue a bounded number
     * (PASSWORD_HASH_CONCURRENCY, PASSWORD_HASH_QUEUE); beyond that the work is refused (429).
     */
    private readonly hashing: BoundedWork,
  ) {}

  async signup(input: { username: string; email: string; password: string }): Promise<SignedIn<User>> {
    const { username, email, password } = input;
    const user = await this.store.createUser({ username, email, passwordHash: await this.hashing.run(() => hashPassword(password)) });
    const token = await this.tokens.issue({ userId: user.id, username: user.username });
    return { user, token };
  }

  /**
   * Logs in by username or email; unauthorized for an unknown login or a wrong password alike.
   * `beforeVerify` runs once the account is looked up (its id, or null when unknown) and before
   * any hashing: the caller charges its per-account budget there and may throw to refuse.
   */
  async login(login: string, password: string, beforeVerify?: (accountId: string | null) => Promise<void>): Promise<SignedIn<UserCredentials>> {
    const credentials = await this.store.findCredentials(login.trim());
    await beforeVerify?.(credentials?.id ?? null);
    // Verify against a dummy hash for unknown users so that timing does not reveal which exist.
    const ok = await this.hashing.run(() => verifyPassword(password, credentials?.passwordHash ?? DUMMY_PASSWORD_HASH));
    if (!credentials || !ok) throw unauthorized('invalid login or password');
    const token = await this.tokens.issue({ userId: credentials.id, username: credentials.username });
    return { user: credentials, token };
  }

  /** The actor's account; unauthorized when it no longer exists. */
  async current(actor: Actor): Promise<User> {
    const user = await this.store.getUser(actor.id);
    if (!user) throw unauthorized('user no longer exists');
    return user;
  }

  /** Throws forbidden unless the actor is an administrator. */
  async requireAdmin(actor: Actor): Promise<void> {
    const user = await this.store.getUser(actor.id);
    if (!user?.isAdmin) throw forbidden('administrators only');
  }
}
