import { ApiError, errorFromBody } from './api-error.js';
import type { Account, AuthResult, HistoryRange, MemberRoom, Message, MessageSender, Room, RoomPage, UserSummary } from './types.js';

export interface HttpClientOptions {
  /** Origin (and optional path prefix) of the api; '' for same origin. */
  baseUrl: string;
  token: () => string | null;
  /** Called when an authenticated request comes back 401 (expired or revoked token). */
  onUnauthorized: () => void;
}

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

/** Typed wrapper over the Chorus REST API. Every failure is thrown as an ApiError. */
export class HttpClient {
  readonly #options: HttpClientOptions;

  constructor(options: HttpClientOptions) {
    this.#options = options;
  }

  /** One authenticated request, for feature clients built on this one (e.g. ModerationClient). */
  call<T>(method: Method, path: string, body?: unknown): Promise<T> {
    return this.#request(method, path, body);
  }

  signup(username: string, email: string, password: string): Promise<AuthResult> {
    return this.#request('POST', '/api/auth/signup', { username, email, password }, false);
  }

  login(login: string, password: string): Promise<AuthResult> {
    return this.#request('POST', '/api/auth/login', { login, password }, false);
  }

  async me(): Promise<Account> {
    const body = await this.#request<Account | { user: Account }>('GET', '/api/me');
    return 'user' in body ? body.user : body;
  }

  async myRooms(): Promise<MemberRoom[]> {
    return (await this.#request<{ rooms: MemberRoom[] }>('GET', '/api/me/rooms')).rooms;
  }

  publicRooms(limit: number, cursor?: string): Promise<RoomPage> {
    return this.#request('GET', `/api/rooms${query({ limit, cursor })}`);
  }

  room(roomId: string): Promise<Room> {
    return this.#request('GET', `/api/rooms/${enc(roomId)}`);
  }

  createRoom(name: string, isPrivate: boolean): Promise<Room> {
    return this.#request('POST', '/api/rooms', { name, private: isPrivate });
  }

  async join(roomId: string): Promise<void> {
    await this.#request('POST', `/api/rooms/${enc(roomId)}/join`, {});
  }

  async leave(roomId: string): Promise<void> {
    await this.#request('POST', `/api/rooms/${enc(roomId)}/leave`, {});
  }

  async addMember(roomId: string, userId: string): Promise<void> {
    await this.#request('POST', `/api/rooms/${enc(roomId)}/members`, { userId });
  }

  async messages(roomId: string, range: HistoryRange): Promise<Message[]> {
    const path = `/api/rooms/${enc(roomId)}/messages${query({ ...range })}`;
    return (await this.#request<{ messages: Message[] }>('GET', path)).messages;
  }

  /** Full-text search over the rooms I belong to, newest first (web-search syntax). */
  async search(text: string): Promise<Message[]> {
    return (await this.#request<{ messages: Message[] }>('GET', `/api/search${query({ q: text, limit: 20 })}`)).messages;
  }

  // ---- direct messages, user search, blocks (docs/conversations-dms.md) ----

  /** Users whose username starts with `prefix` (case-insensitive), at most `limit`. */
  async searchUsers(prefix: string, limit: number): Promise<UserSummary[]> {
    return (await this.#request<{ users: UserSummary[] }>('GET', `/api/users${query({ q: prefix, limit })}`)).users;
  }

  /** THE direct room of me and `userId` (the same every time; created on first use). */
  openDirect(userId: string): Promise<Room> {
    return this.#request('POST', '/api/dms', { userId });
  }

  async blockedUsers(): Promise<UserSummary[]> {
    return (await this.#request<{ users: UserSummary[] }>('GET', '/api/me/blocks')).users;
  }

  async block(userId: string): Promise<void> {
    await this.#request('PUT', `/api/me/blocks/${enc(userId)}`);
  }

  async unblock(userId: string): Promise<void> {
    await this.#request('DELETE', `/api/me/blocks/${enc(userId)}`);
  }

  send(roomId: string, text: string, attachments: string[] = []): Promise<Message> {
    return this.#request('POST', `/api/rooms/${enc(roomId)}/messages`, attachments.length > 0 ? { text, attachments } : { text });
  }

  /** Edits my message (within the server's edit window); the change arrives as an `edit` entry. */
  editMessage(roomId: string, messageId: string, text: string): Promise<Message> {
    return this.#request('PATCH', `/api/rooms/${enc(roomId)}/messages/${enc(messageId)}`, { text });
  }

  /** Deletes a message (mine, or any in a room I created); the change arrives as a `delete` entry. */
  deleteMessage(roomId: string, messageId: string): Promise<Message> {
    return this.#request('DELETE', `/api/rooms/${enc(roomId)}/messages/${enc(messageId)}`);
  }

  /** Adds (or takes back) a reaction; the change arrives as a `reaction` entry. */
  react(roomId: string, messageId: string, emoji: string, remove: boolean): Promise<{ messageId: string; reactions: NonNullable<Message['reactions']> }> {
    return this.#request(remove ? 'DELETE' : 'PUT', `/api/rooms/${enc(roomId)}/messages/${enc(messageId)}/reactions/${enc(emoji)}`);
  }

  async markRead(roomId: string, seq: number): Promise<void> {
    await this.#request('POST', `/api/rooms/${enc(roomId)}/read`, { seq });
  }

  /** Who is online in a room, or null when the server has no presence endpoint. */
  async presence(roomId: string): Promise<MessageSender[] | null> {
    try {
      return (await this.#request<{ online: MessageSender[] }>('GET', `/api/rooms/${enc(roomId)}/presence`)).online;
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 405 || err.status === 501)) return null;
      throw err;
    }
  }

  /** Changes my password; the answer's token replaces mine (every other one is refused). */
  changePassword(currentPassword: string, newPassword: string): Promise<AuthResult> {
    return this.#request('POST', '/api/me/password', { currentPassword, newPassword });
  }

  logoutEverywhere(): Promise<void> {
    return this.#request('POST', '/api/me/logout-all');
  }

  deleteAccount(password: string): Promise<void> {
    return this.#request('DELETE', '/api/me', { password });
  }

  async #request<T>(method: Method, path: string, body?: unknown, authenticated = true): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = this.#options.token();
    if (authenticated && token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(this.#options.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, 'network', 'cannot reach the server');
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const error = errorFromBody(response.status, parsed, response.headers.get('retry-after'));
      if (response.status === 401 && authenticated) this.#options.onUnauthorized();
      throw error;
    }
    return parsed as T;
  }
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) search.set(key, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}
