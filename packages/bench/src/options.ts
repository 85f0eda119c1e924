import { parseArgs } from 'node:util';
import { SCENARIO_NAMES, type ScenarioName } from './results.js';
import { CHORUS_PASS_THROUGH_ENV } from './targets/chorus-env.js';
import { defaultLoadWorkers, loopbackAddresses } from './load/pool.js';
import { TARGET_NAMES, type TargetName } from './targets/target.js';

/** What a deployment benchmarked by URL can run: persistence and two-replicas need the bench's own Postgres and processes. */
export const REMOTE_SCENARIOS: readonly ScenarioName[] = ['fanout', 'many-rooms', 'idle', 'connect-storm'];

/** http(s) base URL of a running Chorus, without a trailing slash. */
export function parseTargetUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`--target-url must be an http(s) URL, got ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`--target-url must be http:// or https://, got ${url.protocol}`);
  return url.origin + url.pathname.replace(/\/+$/, '');
}

export interface BenchOptions {
  quick: boolean;
  scenarios: ScenarioName[];
  targets: TargetName[];
  messageBytes: number;
  /** Load-generator threads for the receiving clients (0: the main thread only). */
  loadWorkers: number;
  fanout: { subscribers: number; publishers: number; startRate: number; growth: number; maxSteps: number; refineSteps: number; stepSeconds: number; p99LimitMs: number; loadWorkers: number };
  manyRooms: { rooms: number; members: number; messagesPerSecond: number; seconds: number; loadWorkers: number; rounds: number };
  idle: { connections: number; concurrency: number; idleSeconds: number; measureSeconds: number; loadWorkers: number; localAddresses: string[]; liveMembers: number; liveRate: number };
  /** Benchmark an already-running Chorus (its base URL) instead of starting servers. */
  targetUrl: string | undefined;
  persistence: { publishers: number; window: number; seconds: number; historyMessages: number; historyRequests: number };
  compression: { subscribers: number; messagesPerSecond: number; messageBytes: number; seconds: number };
  targetUsers: number;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  cpuProf: boolean;
  renderOnly: boolean;
  outDir: string;
}

export const USAGE = `pnpm bench [-- options]
  --quick                 ~1 minute smoke run (small sizes, short steps)
  --scenarios a,b         ${SCENARIO_NAMES.join(',')} (default: all)
  --targets a,b           ${TARGET_NAMES.join(',')} (default: all; durable-floor only in
                          many-rooms, with DATABASE_URL and REDIS_URL)
  --message-bytes N       message text size (default 100)
  --subscribers N         fan-out subscribers (default 1000)
  --publishers N          fan-out publisher connections (default 4)
  --start-rate N          fan-out first step, messages/s (default 20)
  --growth X              fan-out rate multiplier per step (default 1.4)
  --step-seconds N        measured seconds per ramp step (default 3)
  --p99-limit N           fan-out latency limit, ms (default 100)
  --rooms N               many-rooms: rooms (default 2000)
  --members N             many-rooms: members per room (default 5)
  --room-rate N           many-rooms: messages/s over all rooms (default 1000)
  --rounds N              many-rooms: interleaved rounds per target (order reversed each round), each
                          figure the median of the rounds (default 3; 1 with --quick)
  --idle-connections N    idle + connect storm connections (default 10000)
  --storm-concurrency N   connection attempts in flight (default 200)
  --source-addresses N    idle/storm: spread connections over 127.0.0.1 … 127.0.0.N, ~28k ephemeral
                          ports each (default: one per 25,000 connections)
  --live-room-rate N      idle: messages/s in a live room of 10 members measured next to the idle ones (default 20)
  --idle-seconds N        idle: seconds of idle CPU measured (default 50: two 25 s heart-beat intervals, so
                          every connection beats equally often in the window whatever its phase)
  --load-workers N        load-generator threads for the receiving clients; 0 = main thread only
                          (default max(1, min(8, cores/4)) = ${defaultLoadWorkers()} here)
  --target-url URL        benchmark an already-running Chorus at URL (http(s)://host[:port]) instead of
                          starting servers: users are signed up through its REST api, clients use its
                          /ws endpoint; scenarios fanout, many-rooms, idle, connect-storm; no server CPU/RSS
  --target-users N        --target-url: users to sign up and share over the connections (default 32)
  --history-messages N    persistence: messages in the history room (default 1000000 on Postgres, 100000 on PGlite)
  --store-connections N   persistence: publishing connections (default 64)
  --store-window N        persistence: receipted SENDs in flight per connection (default 4)
  --compression-subscribers N  compression: subscribers offering permessage-deflate (default 500)
  --compression-rate N    compression: messages/s into their room (default 20)
  --compression-message-bytes N  compression: text size, prose (default 2048; the server compresses above 1024)
  --cpu-prof              write --cpu-prof profiles of the servers to results/profiles/
  --render-only           rewrite latest.md/svg from latest.json, run nothing
  --out DIR               results directory (default packages/bench/results)
Env: DATABASE_URL and REDIS_URL switch Chorus to Postgres + Redis and enable the two-replica scenario;
  ${CHORUS_PASS_THROUGH_ENV.join(', ')} are passed on to Chorus when set.
  Profiling: BENCH_SERVER_NODE_ARGS adds node flags to every server (e.g. "--trace-gc", "--perf-basic-prof");
  BENCH_SERVER_STDOUT=<path> writes each server's stdout to <path>.<pid>.`;

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv, defaultOut: string): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      scenarios: { type: 'string' },
      targets: { type: 'string' },
      'message-bytes': { type: 'string' },
      subscribers: { type: 'string' },
      publishers: { type: 'string' },
      'start-rate': { type: 'string' },
      growth: { type: 'string' },
      'step-seconds': { type: 'string' },
      'p99-limit': { type: 'string' },
      rooms: { type: 'string' },
      members: { type: 'string' },
      'room-rate': { type: 'string' },
      rounds: { type: 'string' },
      'idle-connections': { type: 'string' },
      'storm-concurrency': { type: 'string' },
      'source-addresses': { type: 'string' },
      'live-room-rate': { type: 'string' },
      'idle-seconds': { type: 'string' },
      'load-workers': { type: 'string' },
      'target-url': { type: 'string' },
      'target-users': { type: 'string' },
      'store-window': { type: 'string' },
      'history-messages': { type: 'string' },
      'store-connections': { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      'compression-subscribers': { type: 'string' },
      'compression-rate': { type: 'string' },
      'compression-message-bytes': { type: 'string' },
      'render-only': { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  const quick = values.quick;
  const num = (name: keyof typeof values, full: number, small: number): number => {
    const raw = values[name];
    if (raw === undefined) return quick ? small : full;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${String(raw)}`);
    return n;
  };
  const pick = <T extends string>(raw: string | undefined, all: readonly T[], what: string): T[] => {
    if (raw === undefined) return [...all];
    const chosen = raw.split(',').map((s) => s.trim()).filter(Boolean);
    for (const c of chosen) if (!all.includes(c as T)) throw new Error(`unknown ${what} "${c}": choose from ${all.join(', ')}`);
    return chosen as T[];
  };
  const loadWorkers = values['load-workers'] === undefined ? defaultLoadWorkers() : Number(values['load-workers']);
  if (!Number.isInteger(loadWorkers) || loadWorkers < 0 || loadWorkers > 64) throw new Error(`--load-workers must be an integer 0..64, got ${String(values['load-workers'])}`);
  const rounds = num('rounds', 3, 1);
  if (!Number.isInteger(rounds) || rounds > 9) throw new Error(`--rounds must be an integer 1..9, got ${String(values.rounds)}`);
  const idleConnections = num('idle-connections', 10_000, 1000);
  const sourceAddresses = values['source-addresses'] === undefined ? Math.min(254, Math.ceil(idleConnections / 25_000)) : num('source-addresses', 1, 1);
  const targetUrl = values['target-url'] === undefined ? undefined : parseTargetUrl(values['target-url']);
  const scenarios = pick(values.scenarios, targetUrl ? REMOTE_SCENARIOS : SCENARIO_NAMES, 'scenario');
  if (targetUrl && values.targets !== undefined && values.targets !== 'chorus') throw new Error('--target-url benchmarks a Chorus deployment: --targets must be chorus');
  return {
    quick,
    scenarios,
    targets: targetUrl ? ['chorus'] : pick(values.targets, TARGET_NAMES, 'target'),
    loadWorkers,
    targetUrl,
    targetUsers: num('target-users', 32, 32),
    messageBytes: num('message-bytes', 100, 100),
    fanout: {
      subscribers: num('subscribers', 1000, 300),
      publishers: num('publishers', 4, 2),
      startRate: num('start-rate', 20, 50),
      growth: num('growth', 1.4, 2),
      maxSteps: 14,
      refineSteps: quick ? 1 : 2,
      stepSeconds: num('step-seconds', 3, 1),
      p99LimitMs: num('p99-limit', 100, 100),
      loadWorkers,
    },
    manyRooms: { rooms: num('rooms', 2000, 100), members: num('members', 5, 5), messagesPerSecond: num('room-rate', 1000, 200), seconds: quick ? 2 : 6, loadWorkers, rounds },
    idle: {
      connections: idleConnections,
      concurrency: num('storm-concurrency', 200, 100),
      // Chorus and Socket.IO both beat every 25 s by default: a window of whole intervals.
      idleSeconds: num('idle-seconds', 50, 2),
      measureSeconds: quick ? 2 : 5,
      loadWorkers,
      localAddresses: sourceAddresses > 1 ? loopbackAddresses(sourceAddresses) : [],
      liveMembers: 10,
      liveRate: num('live-room-rate', 20, 20),
    },
    compression: {
      subscribers: num('compression-subscribers', 500, 100),
      messagesPerSecond: num('compression-rate', 20, 10),
      messageBytes: num('compression-message-bytes', 2048, 2048),
      seconds: quick ? 2 : 6,
    },
    persistence: {
      publishers: num('store-connections', 64, 32),
      window: num('store-window', 4, 2),
      seconds: quick ? 2 : 6,
      // Seeding 1M rows takes about a minute on Postgres and far longer in PGlite (WASM).
      historyMessages: num('history-messages', env.DATABASE_URL ? 1_000_000 : 100_000, 20_000),
      historyRequests: quick ? 100 : 500,
    },
    databaseUrl: env.DATABASE_URL || undefined,
    redisUrl: env.REDIS_URL || undefined,
    cpuProf: values['cpu-prof'],
    renderOnly: values['render-only'],
    outDir: values.out ?? defaultOut,
  };
}
