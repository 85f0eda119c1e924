import { randomBytes } from 'node:crypto';
import type { LoadConnection } from '../clients/connection.js';
import { openSpec, type ConnectSpec } from '../clients/spec.js';
import { chorusSpec } from './chorus-spec.js';
import { inPool, type ConnectRequest, type Target } from './target.js';

const SETUP_CONCURRENCY = 16;

/**
 * A Chorus deployment that is already running (behind its ingress, say),
 * benchmarked by URL: users are signed up and rooms created through its REST
 * api, clients connect to its raw WebSocket endpoint (/ws, ws:// or wss://).
 * The bench cannot see its processes, so server CPU and memory are not measured;
 * the figures are what clients see. Users and rooms it creates are left behind
 * (named bench-<tag>-…).
 */
export class RemoteChorusTarget implements Target {
  readonly name = 'chorus' as const;
  readonly pids: number[] = [];
  readonly replicas = 1;
  readonly #users: { id: string; token: string }[] = [];
  /** Room key → its id and how many of the users joined it (members map onto those). */
  readonly #rooms = new Map<string, { id: string; members: number }>();
  readonly #tag = randomBytes(3).toString('hex');

  private constructor(
    readonly baseUrl: string,
    private readonly userCount: number,
  ) {}

  /** Checks that `baseUrl` answers as a Chorus (GET /readyz) before any scenario runs. */
  static async open(baseUrl: string, userCount: number): Promise<RemoteChorusTarget> {
    const res = await fetch(`${baseUrl}/readyz`).catch((err: unknown) => {
      throw new Error(`--target-url ${baseUrl}: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`);
    });
    if (!res.ok) throw new Error(`--target-url ${baseUrl}: GET /readyz answered ${res.status}`);
    return new RemoteChorusTarget(baseUrl, userCount);
  }

  get wsUrl(): string {
    return `${this.baseUrl.replace(/^http/, 'ws')}/ws`;
  }

  async api<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
    const res = await fetch(this.baseUrl + path, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${(await res.text()).slice(0, 200)}`);
    return (await res.json()) as T;
  }

  /** Signs up users through the deployment's REST api (its signup rate limit applies). */
  async #ensureUsers(count: number): Promise<void> {
    const missing = Array.from({ length: Math.max(0, count - this.#users.length) }, (_, i) => this.#users.length + i);
    const created = await inPool(missing, SETUP_CONCURRENCY, async (i) => {
      const name = `bench-${this.#tag}-${i}`;
      const session = await this.api<{ user: { id: string }; token: string }>('POST', '/api/auth/signup', {
        username: name,
        email: `${name}@example.com`,
        password: `bench-${randomBytes(12).toString('base64url')}`,
      });
      return { id: session.user.id, token: session.token };
    });
    this.#users.push(...created);
  }

  async setupRooms(count: number, members: number, onProgress?: (done: number, total: number) => void): Promise<string[]> {
    const memberCount = Math.min(members, this.userCount);
    await this.#ensureUsers(memberCount);
    const users = this.#users.slice(0, memberCount);
    const keys = Array.from({ length: count }, (_, i) => `room-${this.#rooms.size + i}`);
    const total = count * users.length;
    let done = 0;
    await inPool(keys, SETUP_CONCURRENCY, async (key) => {
      const room = await this.api<{ id: string }>('POST', '/api/rooms', { name: `bench-${this.#tag}-${key}` }, users[0]!.token);
      onProgress?.(++done, total);
      for (const user of users.slice(1)) {
        await this.api('POST', `/api/rooms/${room.id}/join`, {}, user.token);
        onProgress?.(++done, total);
      }
      this.#rooms.set(key, { id: room.id, members: users.length });
    });
    return keys;
  }

  spec(request: ConnectRequest): ConnectSpec {
    const room = this.#rooms.get(request.room);
    if (!room) throw new Error(`unknown room ${request.room}`);
    return chorusSpec(this.wsUrl, this.#users[request.member % room.members]!.token, room.id, request);
  }

  connect(request: ConnectRequest): Promise<LoadConnection> {
    return openSpec(this.spec(request), request.onMessage, undefined, request.onError);
  }

  async heapUsedBytes(): Promise<number> {
    return 0;
  }

  async collectGarbage(): Promise<void> {}

  async stop(): Promise<void> {}
}
