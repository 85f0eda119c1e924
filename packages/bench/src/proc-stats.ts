import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ on Linux

export interface ProcSample {
  /** user + system CPU seconds since the process started. */
  cpuSeconds: number;
  rssBytes: number;
}

/** user + system CPU seconds in a /proc/<pid>/stat line. */
function statCpuSeconds(stat: string): number {
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** The command name in a /proc/<pid>/stat line (between the first '(' and the last ')'). */
const statCommand = (stat: string): string => stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));

/** CPU (from /proc/<pid>/stat) and RSS (from /proc/<pid>/status) of one process. */
export function sampleProcess(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = /VmRSS:\s+(\d+) kB/.exec(status);
  return { cpuSeconds: statCpuSeconds(stat), rssBytes: rss ? Number(rss[1]) * 1024 : 0 };
}

/** Sums samples of several processes (two replicas, or a server plus its broker). */
export function sampleProcesses(pids: number[]): ProcSample {
  let cpuSeconds = 0;
  let rssBytes = 0;
  for (const pid of pids) {
    const s = sampleProcess(pid);
    cpuSeconds += s.cpuSeconds;
    rssBytes += s.rssBytes;
  }
  return { cpuSeconds, rssBytes };
}

/** Load average and the CPU seconds the whole machine spent busy (for "the machine is the limit"). */
export function machineCpu(): { busySeconds: number; totalSeconds: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busySeconds: (total - idle) / CLOCK_TICKS, totalSeconds: total / CLOCK_TICKS };
}

export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/**
 * CPU seconds (user + system) of every `postgres` process on this machine, from /proc: the
 * database's side of a write load when Postgres runs here (the bench's own machine, or
 * bench-anywhere's bundled server). Undefined where /proc shows none (another host, macOS).
 */
export function postgresCpuSeconds(): number | undefined {
  let seconds = 0;
  let found = false;
  let pids: string[];
  try {
    pids = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited since the listing
    }
    if (statCommand(stat) !== 'postgres') continue;
    seconds += statCpuSeconds(stat);
    found = true;
  }
  return found ? seconds : undefined;
}

/** Whether a postgres:// URL names a server on this machine (loopback or a Unix socket). */
export function isLocalDatabase(databaseUrl: string): boolean {
  try {
    const host = new URL(databaseUrl).hostname;
    return host === '' || host === 'localhost' || host === '[::1]' || host.startsWith('127.') || host.startsWith('%2F');
  } catch {
    return false;
  }
}

/**
 * Measures the CPU of the Postgres at `databaseUrl` over a window: call the result at its end.
 * Undefined where unknown, and always for a database on another host (a local Postgres would be
 * the wrong one).
 */
export function postgresCpuWindow(databaseUrl: string): () => number | undefined {
  if (!isLocalDatabase(databaseUrl)) return () => undefined;
  const start = postgresCpuSeconds();
  return () => {
    const end = postgresCpuSeconds();
    return start === undefined || end === undefined ? undefined : end - start;
  };
}
