import { readFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ on Linux

export interface ProcSample {
  /** user + system CPU seconds since the process started. */
  cpuSeconds: number;
  rssBytes: number;
}

/** CPU (from /proc/<pid>/stat) and RSS (from /proc/<pid>/status) of one process. */
export function sampleProcess(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = /VmRSS:\s+(\d+) kB/.exec(status);
  return { cpuSeconds: (utime + stime) / CLOCK_TICKS, rssBytes: rss ? Number(rss[1]) * 1024 : 0 };
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
