import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { unavailable } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { HeldEntry, Presence, PresenceChange, PresenceOptions, PresenceUser } from './presence.js';
import { HeldEntries } from './presence.js';
import { FORGET_INSTANCE, JOIN, LEASED_SCORE, LEAVE, REASSERT, RENEW, SWEEP_EXPIRED, SWEEP_INSTANCE_ROOM } from './redis-presence-scripts.js';

export interface RedisPresenceOptions extends PresenceOptions {
  url: string;
  logger: Logger;
  /** Prefix of every key (tests isolate themselves with their own). */
  keyPrefix?: string;
  commandTimeoutMs?: number;
  /**
   * Every this many refreshes, the instance writes all its entries again, in case Redis lost some
   * (a failover to a replica that had not received the last writes). Default 30: every 5 minutes
   * with the default TTL.
   */
  fullRefreshEvery?: number;
}

/** Script calls per pipeline, and entries per script call, in refresh and sweep. */
const PIPELINE_CHUNK = 500;
/**
 * Sweeps between the starts of two walks over every room for entries of a Chorus from before
 * leases. A walk takes one SSCAN page (about PIPELINE_CHUNK rooms) per sweep, so a sweep's cost
 * stays bounded however many rooms the cluster has.
 */
const EXPIRED_SWEEP_EVERY = 30;

type ScriptCall = (...args: (string | number)[]) => void;

interface PresencePipeline {
  presenceReassert: ScriptCall;
  presenceSweepInstanceRoom: ScriptCall;
  presenceSweepExpired: ScriptCall;
  exec(): Promise<[Error | null, unknown][] | null>;
}

type ScriptCommand<T> = (...args: (string | number)[]) => Promise<T>;

interface PresenceCommands {
  presenceRenew: ScriptCommand<number>;
  presenceJoin: ScriptCommand<number>;
  presenceLeave: ScriptCommand<number>;
  presenceForgetInstance: ScriptCommand<number>;
}

/**
 * Presence in Redis, shared by every replica (keys and scripts: redis-presence-scripts.ts).
 *
 * An entry lives as long as the lease of the instance that holds it. An instance renews its lease
 * with one command per refresh however many entries it holds, so the steady cost of presence does not
 * grow with connections: joins and leaves write entries, and nothing else does until an instance dies.
 * Then any instance's sweep finds the lapsed lease and removes the dead instance's entries room by room.
 * Entries are written again in full only when the lease had lapsed (a long Redis outage), after a
 * failed join, and every `fullRefreshEvery` refreshes. After a failed leave the instance moves to a
 * new id, writes its entries under it and lets the old id lapse, so the entry it could not remove is
 * swept with the old id and its user reported offline then.
 */
export class RedisPresence implements Presence {
  readonly ttlMs: number;
  readonly #redis: Redis & PresenceCommands;
  readonly #now: () => number;
  readonly #prefix: string;
  readonly #held = new HeldEntries();
  readonly #fullRefreshEvery: number;
  #instanceId = randomUUID();
  #refreshes = 0;
  #sweeps = 0;
  /** Where the walk over every room for pre-lease entries goes on (an SSCAN cursor); null between walks. */
  #expiredCursor: string | null = null;
  /** The next refresh writes every held entry (a join failed or was refused for a lapsed lease). */
  #fullRefreshDue = false;
  /** The next refresh moves to a new instance id (a leave failed: its entry is left to lapse). */
  #newIdDue = false;
  /** Settles once the first connection is ready and the lease written (or after the command timeout). */
  readonly #ready: Promise<void>;

  constructor(options: RedisPresenceOptions) {
    this.ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
    this.#prefix = options.keyPrefix ?? 'chorus:presence:';
    this.#fullRefreshEvery = Math.max(1, options.fullRefreshEvery ?? 30);
    const logger = options.logger.child({ component: 'presence', backend: 'redis' });
    const redis = new Redis(options.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 5000,
      // One name per instance, so an operator can tell the replicas' presence connections apart in CLIENT LIST.
      connectionName: `chorus:presence:${this.#instanceId}`,
      // Lookups issued together (the push worker asks for every claimed room at once) share a write.
      enableAutoPipelining: true,
      retryStrategy: (attempt) => Math.min(5000, 100 * 2 ** Math.min(attempt - 1, 10)),
    });
    redis.on('error', (err: Error) => logger.debug({ err }, 'presence redis connection error'));
    redis.defineCommand('presenceRenew', { numberOfKeys: 1, lua: RENEW });
    redis.defineCommand('presenceJoin', { numberOfKeys: 3, lua: JOIN });
    redis.defineCommand('presenceLeave', { numberOfKeys: 3, lua: LEAVE });
    redis.defineCommand('presenceReassert', { numberOfKeys: 3, lua: REASSERT });
    redis.defineCommand('presenceSweepInstanceRoom', { numberOfKeys: 3, lua: SWEEP_INSTANCE_ROOM });
    redis.defineCommand('presenceForgetInstance', { numberOfKeys: 1, lua: FORGET_INSTANCE });
    redis.defineCommand('presenceSweepExpired', { numberOfKeys: 3, lua: SWEEP_EXPIRED });
    this.#redis = redis as Redis & PresenceCommands;
    const waitMs = options.commandTimeoutMs ?? 5000;
    const firstConnect = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      timer.unref();
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    // Joins need a live lease; if this first write fails, joins are refused (-1) until a refresh writes it.
    this.#ready = firstConnect.then(() => this.#renew().then(() => undefined, () => undefined));
  }

  /** The id this instance's lease and entries carry now (it changes after a failed leave). */
  get instanceId(): string {
    return this.#instanceId;
  }

  async join(roomId: string, connectionId: string, user: PresenceUser): Promise<boolean> {
    const entry = { roomId, connectionId, user };
    this.#held.set(entry);
    const instanceId = this.#instanceId;
    let result: number;
    try {
      result = await this.#run(() =>
        this.#redis.presenceJoin(...this.#keys(roomId), this.#member(entry, instanceId), this.#now(), user.id, roomId, instanceId),
      );
    } catch (err) {
      this.#fullRefreshDue = true;
      throw err;
    }
    // A lapsed lease: nothing was written; the next refresh writes every entry and reports who came online.
    if (result === -1) this.#fullRefreshDue = true;
    return result === 1;
  }

  async leave(roomId: string, connectionId: string): Promise<boolean> {
    const entry = this.#held.take(roomId, connectionId);
    if (!entry) return false;
    const instanceId = this.#instanceId;
    try {
      const result = await this.#run(() =>
        this.#redis.presenceLeave(...this.#keys(roomId), this.#member(entry, instanceId), this.#now(), entry.user.id, roomId, instanceId),
      );
      return result === 1;
    } catch (err) {
      this.#newIdDue = true;
      throw err;
    }
  }

  async online(roomId: string): Promise<PresenceUser[]> {
    const now = this.#now();
    const [members, instances] = await this.#run(() =>
      Promise.all([
        this.#redis.zrangebyscore(this.#roomKey(roomId), `(${now}`, '+inf', 'WITHSCORES'),
        this.#redis.zrangebyscore(this.#instancesKey(), `(${now}`, '+inf'),
      ]),
    );
    const alive = new Set(instances);
    const users = new Map<string, PresenceUser>();
    for (let i = 0; i < members.length; i += 2) {
      const entry = parseMember(members[i]!);
      if (!entry) continue;
      if (Number(members[i + 1]) >= LEASED_SCORE && !(entry.instanceId !== undefined && alive.has(entry.instanceId))) continue;
      users.set(entry.user.id, entry.user);
    }
    return [...users.values()];
  }

  async refresh(): Promise<PresenceChange[]> {
    if (this.#newIdDue) {
      // The old id is no longer renewed: it lapses within the TTL and is swept with every entry under it.
      this.#newIdDue = false;
      this.#instanceId = randomUUID();
      this.#fullRefreshDue = true;
    }
    const lapsed = await this.#run(() => this.#renew());
    const full = lapsed || this.#fullRefreshDue || ++this.#refreshes % this.#fullRefreshEvery === 0;
    if (!full) return [];
    this.#fullRefreshDue = true; // until the writes below have all succeeded
    const changes = await this.#reassertAll();
    this.#fullRefreshDue = false;
    return changes;
  }

  async sweep(): Promise<PresenceChange[]> {
    const now = this.#now();
    const changes: PresenceChange[] = [];
    const dead = await this.#run(() => this.#redis.zrangebyscore(this.#instancesKey(), '-inf', now, 'LIMIT', 0, 100));
    // Our own lease too, if it lapsed (refreshes failed): our next refresh writes the entries again.
    for (const instanceId of dead) changes.push(...(await this.#sweepInstance(instanceId, now)));
    if (this.#sweeps++ % EXPIRED_SWEEP_EVERY === 0) this.#expiredCursor ??= '0';
    if (this.#expiredCursor !== null) changes.push(...(await this.#sweepExpiredPage(this.#expiredCursor, now)));
    return changes;
  }

  async close(): Promise<void> {
    this.#held.clear();
    if (this.#redis.status === 'ready') await this.#redis.quit().catch(() => this.#redis.disconnect());
    else this.#redis.disconnect();
  }

  /** Renews this instance's lease; true when it had lapsed or was gone. */
  async #renew(): Promise<boolean> {
    const now = this.#now();
    return (await this.#redis.presenceRenew(this.#instancesKey(), this.#instanceId, now + this.ttlMs, now)) === 1;
  }

  /** Writes every held entry again, PIPELINE_CHUNK entries per script call and per round trip. */
  async #reassertAll(): Promise<PresenceChange[]> {
    const now = this.#now();
    const instanceId = this.#instanceId;
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
        const args: (string | number)[] = [now, roomId, instanceId];
        for (const entry of call) args.push(this.#member(entry, instanceId), entry.user.id);
        pipeline.presenceReassert(...this.#keys(roomId), ...args);
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

  /** Removes a dead instance's entries, PIPELINE_CHUNK rooms per round trip, then forgets the instance. */
  async #sweepInstance(instanceId: string, now: number): Promise<PresenceChange[]> {
    const changes: PresenceChange[] = [];
    const roomsKey = `${this.#instancesKey()}:${instanceId}:rooms`;
    for (;;) {
      // Each swept room leaves the set, so this ends; several sweepers may draw the same rooms.
      const rooms = await this.#run(() => this.#redis.srandmember(roomsKey, PIPELINE_CHUNK));
      if (rooms.length === 0) break;
      const pipeline = this.#pipeline();
      for (const roomId of rooms) pipeline.presenceSweepInstanceRoom(...this.#keys(roomId), instanceId, now, roomId);
      const results = await this.#run(() => pipeline.exec());
      let revived = false;
      results?.forEach(([err, value], i) => {
        if (err) throw unavailable(`presence sweep failed: ${err.message}`, err);
        if (value === -1) revived = true;
        else this.#offline(changes, rooms[i]!, value as string[]);
      });
      if (revived) return changes; // it renewed its lease: what is left is live again
    }
    await this.#run(() => this.#redis.presenceForgetInstance(this.#instancesKey(), instanceId, now));
    return changes;
  }

  /**
   * One page of the walk over every room for expired entries of a Chorus from before leases (see
   * EXPIRED_SWEEP_EVERY). The cursor moves on only once the page is swept: a failed page is read again.
   */
  async #sweepExpiredPage(cursor: string, now: number): Promise<PresenceChange[]> {
    const [next, rooms] = await this.#run(() => this.#redis.sscan(this.#roomsKey(), cursor, 'COUNT', PIPELINE_CHUNK));
    const changes: PresenceChange[] = [];
    if (rooms.length > 0) {
      const pipeline = this.#pipeline();
      for (const roomId of rooms) pipeline.presenceSweepExpired(...this.#keys(roomId), now, roomId);
      const results = await this.#run(() => pipeline.exec());
      results?.forEach(([err, expired], i) => {
        if (err) throw unavailable(`presence sweep failed: ${err.message}`, err);
        this.#offline(changes, rooms[i]!, expired as string[]);
      });
    }
    this.#expiredCursor = next === '0' ? null : next;
    return changes;
  }

  #offline(changes: PresenceChange[], roomId: string, members: string[]): void {
    for (const m of members) {
      const entry = parseMember(m);
      if (entry) changes.push({ roomId, user: entry.user, online: false });
    }
  }

  /** A pipeline that knows the presence scripts (ioredis types pipelines without custom commands). */
  #pipeline(): PresencePipeline {
    return this.#redis.pipeline() as unknown as PresencePipeline;
  }

  /** The keys every entry script takes: the room, the rooms set, the instances set. */
  #keys(roomId: string): [string, string, string] {
    return [this.#roomKey(roomId), this.#roomsKey(), this.#instancesKey()];
  }

  #member(entry: HeldEntry, instanceId: string): string {
    return JSON.stringify([entry.user.id, entry.connectionId, entry.user.username, instanceId]);
  }

  #roomKey(roomId: string): string {
    return `${this.#prefix}room:${roomId}`;
  }

  #roomsKey(): string {
    return `${this.#prefix}rooms`;
  }

  #instancesKey(): string {
    return `${this.#prefix}instances`;
  }

  async #run<T>(command: () => Promise<T>): Promise<T> {
    await this.#ready;
    try {
      return await command();
    } catch (err) {
      throw unavailable(`presence store unavailable: ${(err as Error).message}`, err);
    }
  }
}

/** A member: [userId, connectionId, username, instanceId]; a Chorus from before leases wrote no instanceId. */
function parseMember(value: string): { user: PresenceUser; instanceId: string | undefined } | null {
  try {
    const [id, , username, instanceId] = JSON.parse(value) as [unknown, unknown, unknown, unknown];
    if (typeof id !== 'string' || typeof username !== 'string') return null;
    return { user: { id, username }, instanceId: typeof instanceId === 'string' ? instanceId : undefined };
  } catch {
    return null;
  }
}
