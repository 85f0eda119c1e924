import { Redis } from 'ioredis';
import { unavailable } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { HeldEntry, Presence, PresenceChange, PresenceOptions, PresenceUser } from './presence.js';
import { HeldEntries } from './presence.js';

export interface RedisPresenceOptions extends PresenceOptions {
  url: string;
  logger: Logger;
  /** Prefix of every key (tests isolate themselves with their own). */
  keyPrefix?: string;
  commandTimeoutMs?: number;
}

// Members are JSON [userId, connectionId, username]; scores are expiry times (ms). Live means score > now.
// Each room has a sorted set of all its entries (KEYS[1]: what `online` lists and `sweep` walks) and,
// per user with entries in it, a sorted set of that user's entries (<room key>:u:<userId>), so that
// "does this user have another live entry here" is one ZCOUNT however many people are in the room.
// The per-user keys are derived inside the scripts (sweep learns user ids from expired members);
// Chorus's presence keys are not spread over a Redis Cluster.
const USER_KEY = `
local function user_key(userId) return KEYS[1] .. ':u:' .. userId end
local function live_count(userId, now) return redis.call('zcount', user_key(userId), '(' .. now, '+inf') end
`;

/** Adds or extends one entry; true when the user had no live entry in the room before it. */
const PUT_ENTRY = `
local function put_entry(member, expiresAt, now, userId, roomId)
  local others = live_count(userId, now)
  redis.call('zadd', KEYS[1], expiresAt, member)
  redis.call('zadd', user_key(userId), expiresAt, member)
  redis.call('sadd', KEYS[2], roomId)
  return others == 0
end
`;

/** KEYS: room zset, rooms set. ARGV: member, expiresAt, now, userId, roomId. Returns 1 when the user came online. */
const JOIN = `${USER_KEY}${PUT_ENTRY}
if put_entry(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]) then return 1 end
return 0
`;

/**
 * KEYS: room zset, rooms set. ARGV: expiresAt, now, roomId, then member, userId for each entry of
 * this instance in the room. An entry still present (even expired, unswept) is only extended; one
 * that is gone is written again. Returns, per entry, 1 when it brought its user back online.
 */
const REFRESH_ROOM = `${USER_KEY}${PUT_ENTRY}
local out = {}
for i = 4, #ARGV, 2 do
  local member, userId = ARGV[i], ARGV[i + 1]
  if redis.call('zscore', KEYS[1], member) then
    redis.call('zadd', KEYS[1], ARGV[1], member)
    -- Also heals entries written before the per-user sets existed.
    redis.call('zadd', user_key(userId), ARGV[1], member)
    out[#out + 1] = 0
  elseif put_entry(member, ARGV[1], ARGV[2], userId, ARGV[3]) then
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
`;

/** KEYS: room zset, rooms set. ARGV: member, now, userId, roomId. Returns 1 when the user went offline. */
const LEAVE = `${USER_KEY}
local score = redis.call('zscore', KEYS[1], ARGV[1])
if not score then return 0 end
redis.call('zrem', KEYS[1], ARGV[1])
redis.call('zrem', user_key(ARGV[3]), ARGV[1])
if redis.call('zcard', KEYS[1]) == 0 then redis.call('srem', KEYS[2], ARGV[4]) end
if tonumber(score) <= tonumber(ARGV[2]) then return 0 end
if live_count(ARGV[3], ARGV[2]) == 0 then return 1 end
return 0
`;

/** KEYS: room zset, rooms set. ARGV: now, roomId. Returns one expired member per user that went offline. */
const SWEEP = `${USER_KEY}
local expired = redis.call('zrangebyscore', KEYS[1], '-inf', ARGV[1])
local out = {}
if #expired > 0 then
  redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[1])
  local seen, firsts = {}, {}
  for _, m in ipairs(expired) do
    local id = cjson.decode(m)[1]
    redis.call('zrem', user_key(id), m)
    if not seen[id] then
      seen[id] = true
      firsts[#firsts + 1] = { id, m }
    end
  end
  for _, first in ipairs(firsts) do
    if live_count(first[1], ARGV[1]) == 0 then table.insert(out, first[2]) end
  end
end
if redis.call('zcard', KEYS[1]) == 0 then redis.call('srem', KEYS[2], ARGV[2]) end
return out
`;

/** Commands per pipeline in refresh and sweep. */
const PIPELINE_CHUNK = 500;

interface PresencePipeline {
  presenceRefreshRoom(...args: unknown[]): void;
  presenceSweep(...args: unknown[]): void;
  exec(): Promise<[Error | null, unknown][] | null>;
}

interface PresenceCommands {
  presenceJoin(room: string, rooms: string, member: string, expiresAt: number, now: number, userId: string, roomId: string): Promise<number>;
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
  readonly #held = new HeldEntries();
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
    redis.defineCommand('presenceRefreshRoom', { numberOfKeys: 2, lua: REFRESH_ROOM });
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
    this.#held.set(entry);
    const now = this.#now();
    const result = await this.#run(() =>
      this.#redis.presenceJoin(this.#roomKey(roomId), this.#roomsKey(), member(entry), now + this.ttlMs, now, user.id, roomId),
    );
    return result === 1;
  }

  async leave(roomId: string, connectionId: string): Promise<boolean> {
    const entry = this.#held.take(roomId, connectionId);
    if (!entry) return false;
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
    const now = this.#now();
    // One script call per room (at most PIPELINE_CHUNK entries each), PIPELINE_CHUNK entries per
    // round trip: an idle server's refresh costs a few calls per room, not one per connection,
    // and the event loop keeps delivering between round trips.
    const calls: HeldEntry[][] = [];
    for (const entries of this.#held.byRoom()) {
      for (let i = 0; i < entries.length; i += PIPELINE_CHUNK) calls.push(entries.slice(i, i + PIPELINE_CHUNK));
    }
    const changes: PresenceChange[] = [];
    for (let next = 0; next < calls.length; ) {
      // Whole calls, up to PIPELINE_CHUNK entries per pipeline (always at least one call).
      const batch = [calls[next++]!];
      let entries = batch[0]!.length;
      while (next < calls.length && entries + calls[next]!.length <= PIPELINE_CHUNK) {
        entries += calls[next]!.length;
        batch.push(calls[next++]!);
      }
      const pipeline = this.#pipeline();
      for (const call of batch) {
        const roomId = call[0]!.roomId;
        const args: (string | number)[] = [now + this.ttlMs, now, roomId];
        for (const e of call) args.push(member(e), e.user.id);
        pipeline.presenceRefreshRoom(this.#roomKey(roomId), this.#roomsKey(), ...args);
      }
      const results = await this.#run(() => pipeline.exec());
      results?.forEach(([err, value], i) => {
        if (err) throw unavailable(`presence refresh failed: ${err.message}`, err);
        const call = batch[i]!;
        (value as number[]).forEach((cameOnline, j) => {
          if (cameOnline === 1) changes.push({ roomId: call[j]!.roomId, user: call[j]!.user, online: true });
        });
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
