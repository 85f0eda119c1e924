import { Redis } from 'ioredis';
import { unavailable } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { HeldEntry, Presence, PresenceChange, PresenceOptions, PresenceUser } from './presence.js';
import { heldKey } from './presence.js';

export interface RedisPresenceOptions extends PresenceOptions {
  url: string;
  logger: Logger;
  /** Prefix of every key (tests isolate themselves with their own). */
  keyPrefix?: string;
  commandTimeoutMs?: number;
}

// Members are JSON [userId, connectionId, username]; scores are expiry times (ms). Live means score > now.
const LIVE_USER_ENTRIES = `
local function live_entries_of(key, now, userId)
  local count = 0
  for _, m in ipairs(redis.call('zrangebyscore', key, '(' .. now, '+inf')) do
    if cjson.decode(m)[1] == userId then count = count + 1 end
  end
  return count
end
`;

/** KEYS: room zset, rooms set. ARGV: member, expiresAt, now, userId, roomId. Returns 1 when the user came online. */
const JOIN = `${LIVE_USER_ENTRIES}
local others = live_entries_of(KEYS[1], ARGV[3], ARGV[4])
redis.call('zadd', KEYS[1], ARGV[2], ARGV[1])
redis.call('sadd', KEYS[2], ARGV[5])
if others == 0 then return 1 end
return 0
`;

/** Same keys and arguments as JOIN; an entry still present (even expired, unswept) is only extended. */
const REFRESH = `
if redis.call('zscore', KEYS[1], ARGV[1]) then
  redis.call('zadd', KEYS[1], ARGV[2], ARGV[1])
  return 0
end
${JOIN}`;

/** KEYS: room zset, rooms set. ARGV: member, now, userId, roomId. Returns 1 when the user went offline. */
const LEAVE = `${LIVE_USER_ENTRIES}
local score = redis.call('zscore', KEYS[1], ARGV[1])
if not score then return 0 end
redis.call('zrem', KEYS[1], ARGV[1])
if redis.call('zcard', KEYS[1]) == 0 then redis.call('srem', KEYS[2], ARGV[4]) end
if tonumber(score) <= tonumber(ARGV[2]) then return 0 end
if live_entries_of(KEYS[1], ARGV[2], ARGV[3]) == 0 then return 1 end
return 0
`;

/** KEYS: room zset, rooms set. ARGV: now, roomId. Returns one expired member per user that went offline. */
const SWEEP = `
local expired = redis.call('zrangebyscore', KEYS[1], '-inf', ARGV[1])
local out = {}
if #expired > 0 then
  redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[1])
  local live = {}
  for _, m in ipairs(redis.call('zrange', KEYS[1], 0, -1)) do live[cjson.decode(m)[1]] = true end
  for _, m in ipairs(expired) do
    local id = cjson.decode(m)[1]
    if not live[id] then
      live[id] = true
      table.insert(out, m)
    end
  end
end
if redis.call('zcard', KEYS[1]) == 0 then redis.call('srem', KEYS[2], ARGV[2]) end
return out
`;

/** Commands per pipeline in refresh and sweep. */
const PIPELINE_CHUNK = 500;

interface PresencePipeline {
  presenceRefresh(...args: unknown[]): void;
  presenceSweep(...args: unknown[]): void;
  exec(): Promise<[Error | null, unknown][] | null>;
}

interface PresenceCommands {
  presenceJoin(room: string, rooms: string, member: string, expiresAt: number, now: number, userId: string, roomId: string): Promise<number>;
  presenceRefresh(room: string, rooms: string, member: string, expiresAt: number, now: number, userId: string, roomId: string): Promise<number>;
  presenceLeave(room: string, rooms: string, member: string, now: number, userId: string, roomId: string): Promise<number>;
  presenceSweep(room: string, rooms: string, now: number, roomId: string): Promise<string[]>;
}

/**
 * Presence in Redis: one sorted set per room whose members are connections and
 * whose scores are expiry times, plus a set of rooms that have entries (what
 * `sweep` walks). Every transition is decided inside a Lua script, so two
 * replicas never both report the same user coming online or going offline.
 */
export class RedisPresence implements Presence {
  readonly ttlMs: number;
  readonly #redis: Redis & PresenceCommands;
  readonly #now: () => number;
  readonly #prefix: string;
  readonly #held = new Map<string, HeldEntry>();
  /** Settles when the first connection is ready (or after the command timeout); later outages fail fast. */
  readonly #firstConnect: Promise<void>;

  constructor(options: RedisPresenceOptions) {
    this.ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
    this.#prefix = options.keyPrefix ?? 'chorus:presence:';
    const logger = options.logger.child({ component: 'presence', backend: 'redis' });
    const redis = new Redis(options.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 5000,
      connectionName: 'chorus:presence',
      // Lookups issued together (the push worker asks for every claimed room at once) share a write.
      enableAutoPipelining: true,
      retryStrategy: (attempt) => Math.min(5000, 100 * 2 ** Math.min(attempt - 1, 10)),
    });
    redis.on('error', (err: Error) => logger.debug({ err }, 'presence redis connection error'));
    redis.defineCommand('presenceJoin', { numberOfKeys: 2, lua: JOIN });
    redis.defineCommand('presenceRefresh', { numberOfKeys: 2, lua: REFRESH });
    redis.defineCommand('presenceLeave', { numberOfKeys: 2, lua: LEAVE });
    redis.defineCommand('presenceSweep', { numberOfKeys: 2, lua: SWEEP });
    this.#redis = redis as Redis & PresenceCommands;
    const waitMs = options.commandTimeoutMs ?? 5000;
    this.#firstConnect = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      timer.unref();
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async join(roomId: string, connectionId: string, user: PresenceUser): Promise<boolean> {
    const entry = { roomId, connectionId, user };
    this.#held.set(heldKey(roomId, connectionId), entry);
    const now = this.#now();
    const result = await this.#run(() =>
      this.#redis.presenceJoin(this.#roomKey(roomId), this.#roomsKey(), member(entry), now + this.ttlMs, now, user.id, roomId),
    );
    return result === 1;
  }

  async leave(roomId: string, connectionId: string): Promise<boolean> {
    const key = heldKey(roomId, connectionId);
    const entry = this.#held.get(key);
    if (!entry) return false;
    this.#held.delete(key);
    const result = await this.#run(() =>
      this.#redis.presenceLeave(this.#roomKey(roomId), this.#roomsKey(), member(entry), this.#now(), entry.user.id, roomId),
    );
    return result === 1;
  }

  async online(roomId: string): Promise<PresenceUser[]> {
    const members = await this.#run(() => this.#redis.zrangebyscore(this.#roomKey(roomId), `(${this.#now()}`, '+inf'));
    const users = new Map<string, PresenceUser>();
    for (const m of members) {
      const user = parseMember(m);
      if (user) users.set(user.id, user);
    }
    return [...users.values()];
  }

  async refresh(): Promise<PresenceChange[]> {
    const entries = [...this.#held.values()];
    const now = this.#now();
    const changes: PresenceChange[] = [];
    // In chunks, one round trip each: the event loop keeps delivering between them instead of
    // stalling while tens of thousands of commands are encoded and their replies parsed.
    for (let from = 0; from < entries.length; from += PIPELINE_CHUNK) {
      const chunk = entries.slice(from, from + PIPELINE_CHUNK);
      const pipeline = this.#pipeline();
      for (const e of chunk) {
        pipeline.presenceRefresh(this.#roomKey(e.roomId), this.#roomsKey(), member(e), now + this.ttlMs, now, e.user.id, e.roomId);
      }
      const results = await this.#run(() => pipeline.exec());
      results?.forEach(([err, value], i) => {
        if (err) throw unavailable(`presence refresh failed: ${err.message}`, err);
        const e = chunk[i]!;
        if (value === 1) changes.push({ roomId: e.roomId, user: e.user, online: true });
      });
    }
    return changes;
  }

  /** A pipeline that knows the presence scripts (ioredis types pipelines without custom commands). */
  #pipeline(): PresencePipeline {
    return this.#redis.pipeline() as unknown as PresencePipeline;
  }

  async sweep(): Promise<PresenceChange[]> {
    const rooms = await this.#run(() => this.#redis.smembers(this.#roomsKey()));
    const now = this.#now();
    const changes: PresenceChange[] = [];
    for (let from = 0; from < rooms.length; from += PIPELINE_CHUNK) {
      const chunk = rooms.slice(from, from + PIPELINE_CHUNK);
      // One round trip per chunk of rooms; each room's script is atomic on its own.
      const pipeline = this.#pipeline();
      for (const roomId of chunk) pipeline.presenceSweep(this.#roomKey(roomId), this.#roomsKey(), now, roomId);
      const results = await this.#run(() => pipeline.exec());
      results?.forEach(([err, expired], i) => {
        if (err) throw unavailable(`presence sweep failed: ${err.message}`, err);
        for (const m of expired as string[]) {
          const user = parseMember(m);
          if (user) changes.push({ roomId: chunk[i]!, user, online: false });
        }
      });
    }
    return changes;
  }

  async close(): Promise<void> {
    this.#held.clear();
    if (this.#redis.status === 'ready') await this.#redis.quit().catch(() => this.#redis.disconnect());
    else this.#redis.disconnect();
  }

  #roomKey(roomId: string): string {
    return `${this.#prefix}room:${roomId}`;
  }

  #roomsKey(): string {
    return `${this.#prefix}rooms`;
  }

  async #run<T>(command: () => Promise<T>): Promise<T> {
    await this.#firstConnect;
    try {
      return await command();
    } catch (err) {
      throw unavailable(`presence store unavailable: ${(err as Error).message}`, err);
    }
  }
}

function member(entry: HeldEntry): string {
  return JSON.stringify([entry.user.id, entry.connectionId, entry.user.username]);
}

function parseMember(value: string): PresenceUser | null {
  try {
    const [id, , username] = JSON.parse(value) as [unknown, unknown, unknown];
    return typeof id === 'string' && typeof username === 'string' ? { id, username } : null;
  } catch {
    return null;
  }
}
