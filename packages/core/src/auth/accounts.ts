import type { Actor } from '../messaging/chat-service.js';
import type { User, UserCredentials } from '../domain/types.js';
import { forbidden, unauthorized } from '../errors.js';
import type { AccountDeletion, Store } from '../store/store.js';
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
    const generation = (await this.store.getTokenGeneration(credentials.id)) ?? 0;
    const token = await this.tokens.issue({ userId: credentials.id, username: credentials.username, generation });
    return { user: credentials, token };
  }

  /** The actor's account; unauthorized when it no longer exists. */
  async current(actor: Actor): Promise<User> {
    const user = await this.store.getUser(actor.id);
    if (!user) throw unauthorized('user no longer exists');
    return user;
  }

  /**
   * Changes the actor's password: the current one must verify (forbidden otherwise; 401 would
   * read as "signed out"). Every token issued before is refused from now on, on every replica,
   * and the caller gets a fresh one. `beforeVerify` charges the caller's budget, as for login.
   */
  async changePassword(actor: Actor, currentPassword: string, newPassword: string, beforeVerify?: () => Promise<void>): Promise<SignedIn<User>> {
    const credentials = await this.#verifiedCredentials(actor, currentPassword, beforeVerify);
    const passwordHash = await this.hashing.run(() => hashPassword(newPassword));
    const generation = await this.store.revokeTokens(actor.id, passwordHash);
    if (generation === null) throw unauthorized('user no longer exists');
    await this.tokens.revocations?.revoked(actor.id, generation);
    const token = await this.tokens.issue({ userId: actor.id, username: credentials.username, generation });
    const { passwordHash: _hash, ...user } = credentials;
    return { user, token };
  }

  /** Log out everywhere: every token of the actor issued before is refused, and their open connections are closed. */
  async logoutEverywhere(actor: Actor): Promise<void> {
    const generation = await this.store.revokeTokens(actor.id);
    if (generation === null) throw unauthorized('user no longer exists');
    await this.tokens.revocations?.revoked(actor.id, generation);
  }

  /**
   * Deletes the actor's account once their password verifies (see Store.deleteAccount for
   * what goes and what stays); every token is refused and open connections are closed.
   */
  async deleteAccount(actor: Actor, password: string, beforeVerify?: () => Promise<void>): Promise<AccountDeletion> {
    await this.#verifiedCredentials(actor, password, beforeVerify);
    const deletion = await this.store.deleteAccount(actor.id);
    if (!deletion) throw unauthorized('user no longer exists');
    await this.tokens.revocations?.revoked(actor.id, deletion.tokenGeneration, true);
    return deletion;
  }

  async #verifiedCredentials(actor: Actor, password: string, beforeVerify?: () => Promise<void>): Promise<UserCredentials> {
    const credentials = await this.store.getCredentials(actor.id);
    if (!credentials) throw unauthorized('user no longer exists');
    await beforeVerify?.();
    const ok = await this.hashing.run(() => verifyPassword(password, credentials.passwordHash));
    if (!ok) throw forbidden('wrong password');
    return credentials;
  }

  /** Throws forbidden unless the actor is an administrator. */
  async requireAdmin(actor: Actor): Promise<void> {
    const user = await this.store.getUser(actor.id);
    if (!user?.isAdmin) throw forbidden('administrators only');
  }
}
