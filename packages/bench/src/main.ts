import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORES } from './meter.js';
import { parseOptions, USAGE, type BenchOptions } from './options.js';
import { loadAverage } from './proc-stats.js';
import { Progress } from './progress.js';
import { resultsSvg } from './report/chart.js';
import { markdownTable } from './report/table.js';
import { checkTargets, targetsMarkdown } from './report/targets-check.js';
import type { ResultRow, ScenarioName } from './results.js';
import { medianOfRounds, roundOrder } from './rounds.js';
import { runFanout } from './scenarios/fanout.js';
import { runIdleAndStorm } from './scenarios/idle-storm.js';
import { runManyRooms } from './scenarios/many-rooms.js';
import { runCompression } from './scenarios/compression.js';
import { runPersistence } from './scenarios/persistence.js';
import { CHORUS_MAIN, ChorusTarget } from './targets/chorus.js';
import { SocketIoTarget } from './targets/socketio.js';
import type { Target, TargetName, TargetOptions } from './targets/target.js';
import { RemoteChorusTarget } from './targets/remote-chorus.js';
import { WsCeilingTarget } from './targets/ws-ceiling.js';
import { DurableFloorTarget } from './targets/durable-floor.js';

const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

function startTarget(name: TargetName, options: TargetOptions): Promise<Target> {
  if (options.remote) return RemoteChorusTarget.open(options.remote.url, options.remote.users);
  if (name === 'ws-ceiling') return WsCeilingTarget.start(options);
  if (name === 'socket.io') return SocketIoTarget.start(options);
  if (name === 'durable-floor') return DurableFloorTarget.start(options);
  return ChorusTarget.start(options);
}

async function withTarget<T>(name: TargetName, options: TargetOptions, fn: (t: Target) => Promise<T>): Promise<T> {
  const target = await startTarget(name, options);
  try {
    return await fn(target);
  } finally {
    await target.stop();
  }
}

const errorRow = (scenario: ScenarioName, target: TargetName, err: unknown, variant?: string): ResultRow => ({
  scenario,
  target,
  ...(variant ? { variant } : {}),
  error: err instanceof Error ? err.message.slice(0, 300) : String(err),
});

async function run(options: BenchOptions, progress: Progress): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  const tmpDir = join(tmpdir(), `chorus-bench-${process.pid}`);
  await mkdir(tmpDir, { recursive: true });
  const profDir = options.cpuProf ? join(options.outDir, 'profiles') : undefined;
  if (profDir) await mkdir(profDir, { recursive: true });
  const base: TargetOptions = {
    ...(options.targetUrl ? { remote: { url: options.targetUrl, users: options.targetUsers } } : {}),
    replicas: 1, databaseUrl: options.databaseUrl, redisUrl: options.redisUrl, tmpDir, cpuProfDir: profDir };
  const has = (s: ScenarioName) => options.scenarios.includes(s);
  const push = (row: ResultRow) => {
    if (options.targetUrl && !row.error) row = { ...row, notes: [...(row.notes ?? []), `deployment at ${options.targetUrl}: server CPU and memory not measured`] };
    rows.push(row);
    if (row.error) progress.log(`${row.scenario} ${row.target}: ERROR ${row.error}`);
  };
  try {
    // The durable floor is a reference for small rooms only (a fan-out floor is the ws-ceiling).
    const servers = options.targets.filter((name) => name !== 'durable-floor');
    if (has('fanout')) {
      for (const name of servers) {
        try {
          push(await withTarget(name, base, (t) => runFanout(t, { ...options.fanout, messageBytes: options.messageBytes }, progress, `fanout ${name}`)));
        } catch (err) {
          push(errorRow('fanout', name, err));
        }
      }
    }
    if (has('many-rooms')) {
      const names = options.targets.filter((name) => {
        if (name !== 'durable-floor' || (options.databaseUrl && options.redisUrl)) return true;
        progress.log('many-rooms durable-floor: skipped (it stores through Postgres and publishes through Redis: set DATABASE_URL and REDIS_URL)');
        rows.push({ scenario: 'many-rooms', target: name, notes: ['skipped: needs DATABASE_URL and REDIS_URL'] });
        return false;
      });
      // A few seconds of CPU per target on a shared machine: several interleaved rounds, each figure a median.
      const rounds = new Map<TargetName, ResultRow[]>(names.map((name) => [name, []]));
      for (let round = 0; round < options.manyRooms.rounds; round++) {
        for (const name of roundOrder(names, round)) {
          const label = options.manyRooms.rounds > 1 ? ` (round ${round + 1}/${options.manyRooms.rounds})` : '';
          try {
            rounds.get(name)!.push(await withTarget(name, base, (t) => runManyRooms(t, { ...options.manyRooms, messageBytes: options.messageBytes }, progress, label)));
          } catch (err) {
            push(errorRow('many-rooms', name, err));
          }
        }
      }
      for (const name of names) {
        const measured = rounds.get(name)!;
        if (measured.length > 0) push(medianOfRounds(measured));
      }
    }
    if (has('idle') || has('connect-storm')) {
      for (const name of servers) {
        try {
          const { storm, idle } = await withTarget(name, { ...base, inspect: true }, (t) => runIdleAndStorm(t, options.idle, progress));
          if (has('connect-storm')) push(storm);
          if (has('idle')) push(idle);
        } catch (err) {
          if (has('connect-storm')) push(errorRow('connect-storm', name, err));
          if (has('idle')) push(errorRow('idle', name, err));
        }
      }
    }
    if (has('two-replicas')) {
      if (!options.redisUrl || !options.databaseUrl) {
        progress.log('two-replicas: skipped (set DATABASE_URL and REDIS_URL: Chorus replicas share Postgres and Redis)');
        rows.push({ scenario: 'two-replicas', target: 'chorus', notes: ['skipped: needs DATABASE_URL and REDIS_URL'] });
      } else {
        const plan: [TargetName, number][] = [];
        if (options.targets.includes('chorus')) plan.push(['chorus', 1], ['chorus', 2]);
        if (options.targets.includes('socket.io')) plan.push(['socket.io', 2]);
        for (const [name, replicas] of plan) {
          const variant = `×${replicas}`;
          try {
            const row = await withTarget(name, { ...base, replicas }, (t) =>
              runFanout(t, { ...options.fanout, messageBytes: options.messageBytes }, progress, `two-replicas ${name} ${variant}`),
            );
            push({ ...row, scenario: 'two-replicas', variant });
          } catch (err) {
            push(errorRow('two-replicas', name, err, variant));
          }
        }
      }
    }
    if (has('compression') && options.targets.includes('chorus')) {
      for (const variant of ['off', 'on'] as const) {
        try {
          const env = { WS_COMPRESSION: variant === 'on' ? 'true' : 'false' };
          push(await withTarget('chorus', { ...base, inspect: true, env }, (t) => runCompression(t, variant, options.compression, progress)));
        } catch (err) {
          push(errorRow('compression', 'chorus', err, variant));
        }
      }
    }
    if (has('persistence') && options.targets.includes('chorus')) {
      try {
        push(await runPersistence(base, { ...options.persistence, messageBytes: options.messageBytes }, progress));
      } catch (err) {
        push(errorRow('persistence', 'chorus', err));
      }
    }
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
  return rows;
}

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2).filter((a) => a !== '--'), process.env, RESULTS_DIR);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (options.renderOnly) {
    await renderOnly(options.outDir);
    return;
  }
  if (options.targets.includes('chorus') && !options.targetUrl && !existsSync(CHORUS_MAIN)) {
    process.stderr.write(`Chorus is not built (${CHORUS_MAIN} missing): run \`pnpm build\` or use \`pnpm bench\` from the repo root.\n`);
    process.exit(1);
  }
  const progress = new Progress();
  const command = `pnpm bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).filter((a) => a !== '--').join(' ') : ''}`;
  const loadBefore = loadAverage();
  const started = new Date();
  progress.log(
    `Chorus benchmark: ${options.scenarios.join(', ')} × ${options.targets.join(', ')}; ${CORES} cores, load ${loadBefore}; store ${options.databaseUrl ? 'Postgres' : 'PGlite'}${options.redisUrl ? ' + Redis' : ''}; ${options.loadWorkers} load worker(s)${options.targetUrl ? `; deployment at ${options.targetUrl}` : ''}`,
  );
  const rows = await run(options, progress);
  const loadAfter = loadAverage();
  const meta = {
    date: started.toISOString(),
    durationSeconds: Math.round((Date.now() - started.getTime()) / 1000),
    command: (options.databaseUrl ? 'DATABASE_URL=… ' : '') + (options.redisUrl ? 'REDIS_URL=… ' : '') + command,
    node: process.version,
    cpus: `${CORES} × ${cpus()[0]?.model ?? 'unknown'}`,
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadAfter,
    uptime: safeExec('uptime'),
    store: options.databaseUrl ? 'Postgres' : 'PGlite (embedded)',
    broker: options.redisUrl ? 'Redis' : 'in-process',
    quick: options.quick,
    messageBytes: options.messageBytes,
    loadWorkers: options.loadWorkers,
    options,
  };
  await writeResults(options.outDir, meta, rows);
  progress.log('done');
  process.exit(0);
}

interface Meta {
  date: string;
  durationSeconds: number;
  command: string;
  node: string;
  cpus: string;
  loadAverageBefore: string;
  loadAverageAfter: string;
  store: string;
  broker: string;
  quick: boolean;
  messageBytes: number;
  /** Absent in results written before load workers existed. */
  loadWorkers?: number;
}

/** Writes latest.json, latest.md and latest.svg and prints the table. */
async function writeResults(outDir: string, meta: Meta, rows: ResultRow[]): Promise<void> {
  // The machine the rows were measured on (--render-only may run elsewhere).
  const checks = checkTargets(rows, { cores: Number.parseInt(meta.cpus, 10) || CORES });
  const table = markdownTable(rows);
  const subtitle = `${meta.date.slice(0, 16)}Z · ${meta.cpus} · load ${meta.loadAverageBefore} → ${meta.loadAverageAfter} · ${meta.store}${meta.quick ? ' · QUICK' : ''}`;
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'latest.json'), JSON.stringify({ meta, rows, targets: checks }, null, 2) + '\n');
  await writeFile(join(outDir, 'latest.svg'), resultsSvg(rows, subtitle) + '\n');
  const md = [
    `# Chorus benchmark results`,
    '',
    `\`${meta.command}\` — ${meta.date}, ${meta.durationSeconds} s, Node ${meta.node}, ${meta.cpus}, load average ${meta.loadAverageBefore} before / ${meta.loadAverageAfter} after, store ${meta.store}, broker ${meta.broker}${meta.quick ? ', **quick mode**' : ''}. Message text ${meta.messageBytes} bytes. Latency is send → receive measured by the receiving clients (${meta.loadWorkers === undefined ? 'same process as the senders' : `in ${meta.loadWorkers === 0 ? 'the main thread' : `${meta.loadWorkers} load-worker thread(s)`} of the bench process, stamps on a clock its threads share`}); CPU is the server processes' user+system time. Fan-out rows: deliveries/s is the highest rate with p99 ≤ 100 ms; latency and CPU columns are at 50% of it; \`firstStep*\` figures are at the same offered rate for every server.`,
    '',
    table,
    '',
    '## Targets (ratios within this run)',
    '',
    targetsMarkdown(checks),
    '',
    '![results](latest.svg)',
    '',
  ].join('\n');
  await writeFile(join(outDir, 'latest.md'), md);
  process.stdout.write(`\n${table}\n\n${targetsMarkdown(checks)}\n\nResults: ${join(outDir, 'latest.{json,md,svg}')}\n`);
}

/** --render-only: rewrites latest.md/svg from latest.json (after changing the report code). */
async function renderOnly(outDir: string): Promise<void> {
  const saved = JSON.parse(await readFile(join(outDir, 'latest.json'), 'utf8')) as { meta: Meta; rows: ResultRow[] };
  await writeResults(outDir, saved.meta, saved.rows);
}

function safeExec(cmd: string): string {
  try {
    return execSync(cmd, { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

await main();
