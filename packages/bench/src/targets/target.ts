import type { DeliveryHandler, LoadConnection } from '../clients/connection.js';
import type { ConnectSpec } from '../clients/spec.js';
import type { Histogram } from '../prom-histogram.js';

export type TargetName = 'ws-ceiling' | 'durable-floor' | 'socket.io' | 'chorus';
export const TARGET_NAMES: readonly TargetName[] = ['ws-ceiling', 'durable-floor', 'socket.io', 'chorus'];

export interface ConnectRequest {
  /** Which server process (two-replica scenario). */
  replica: number;
  room: string;
  /** Member index within the room (Chorus maps it onto its pool of signed-up users). */
  member: number;
  /** Subscribe to the room (receive); publishers only send. */
  subscribe: boolean;
  /** Negotiate protocol heart-beats like a real client (idle scenario). */
  heartbeat?: boolean;
  /** Offer permessage-deflate (Chorus clients; compression scenario). */
  compression?: boolean;
  onMessage?: DeliveryHandler;
  /** Called once if the server ends the connection with an error after it was set up (Chorus: STOMP ERROR, e.g. a send limit). */
  onError?: (message: string) => void;
}

/** A server under test, started as its own process(es). */
export interface Target {
  readonly name: TargetName;
  /** Server processes whose CPU and memory the bench samples; empty for a deployment benchmarked by URL. */
  readonly pids: number[];
  /** Server processes the clients spread over (two-replica scenario). */
  readonly replicas: number;
  /** Creates `count` rooms each with `members` member identities; returns the room keys. */
  setupRooms(count: number, members: number, onProgress?: (done: number, total: number) => void): Promise<string[]>;
  connect(request: ConnectRequest): Promise<LoadConnection>;
  /** The same connection as plain data, for a load worker to open. */
  spec(request: ConnectRequest): ConnectSpec;
  /** V8 heap in use, summed over the processes. */
  heapUsedBytes(): Promise<number>;
  /** A full GC in every server process (needs TargetOptions.inspect). */
  collectGarbage(): Promise<void>;
  /** Chorus: its own fan-out latency histogram (stored → written to every local subscriber), summed over its processes. */
  fanoutLatency?(): Promise<Histogram | undefined>;
  stop(): Promise<void>;
}

export interface TargetOptions {
  /** A running Chorus benchmarked by URL (--target-url) instead of started servers. */
  remote?: { url: string; users: number };
  replicas: number;
  /** Socket.IO: use @socket.io/redis-adapter; Chorus: REDIS_URL. */
  redisUrl?: string | undefined;
  /** Chorus: Postgres instead of embedded PGlite. */
  databaseUrl?: string | undefined;
  tmpDir: string;
  /** Directory for --cpu-prof output of the server processes, when profiling. */
  cpuProfDir?: string | undefined;
  /** Open the servers' inspectors so that memory can be sampled after a full GC. */
  inspect?: boolean;
  /** Extra node flags for the server processes (e.g. --heapsnapshot-signal=SIGUSR2). */
  nodeArgs?: string[];
  /** Chorus: extra settings for its processes (a scenario's variant, e.g. WS_COMPRESSION). */
  env?: Record<string, string>;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function inPool<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
