import type { Actor } from '../messaging/chat-service.js';
import type { User, UserCredentials } from '../domain/types.js';
import { forbidden, unauthorized } from '../errors.js';
import type { Store } from '../store/store.js';
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
  ) {}

  async signup(input: { username: string; email: string; password: string }): Promise<SignedIn<User>> {
    const { username, email, password } = input;
    const user = await this.store.createUser({ username, email, passwordHash: await hashPassword(password) });
    const token = await this.tokens.issue({ userId: user.id, username: user.username });
    return { user, token };
  }

  /** Logs in by username or email; unauthorized for an unknown login or a wrong password alike. */
  async login(login: string, password: string): Promise<SignedIn<UserCredentials>> {
    const credentials = await this.store.findCredentials(login.trim());
    // Verify against a dummy hash for unknown users so that timing does not reveal which exist.
    const ok = await verifyPassword(password, credentials?.passwordHash ?? DUMMY_PASSWORD_HASH);
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
