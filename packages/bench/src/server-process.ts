import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import WebSocket from 'ws';

export interface ServerProcess {
  readonly pid: number;
  readonly port: number;
  /** The last lines the process wrote to stderr (for error reports). */
  stderrTail(): string;
  /**
   * Runs a full garbage collection in the process through its inspector (started with
   * `inspect: true`), so that memory is sampled without the garbage of the moment.
   */
  collectGarbage(): Promise<void>;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Resolves the port once the server is ready: from a `READY <port>` stdout line, or by polling `probe`. */
  ready: { kind: 'stdout' } | { kind: 'http'; port: number; path: string };
  timeoutMs?: number;
  /** Open the V8 inspector on a free loopback port (for collectGarbage). */
  inspect?: boolean;
}

/**
 * Node flags added to every server under test, for profiling: BENCH_SERVER_NODE_ARGS="--trace-gc" or
 * "--perf-basic-prof" (for `perf record -p <pid>`).
 */
const serverNodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);

/** Starts a server under test as its own Node process. */
export async function spawnServer(options: SpawnOptions): Promise<ServerProcess> {
  const args = [...(options.inspect ? ['--inspect=127.0.0.1:0'] : []), ...serverNodeArgs, ...options.args];
  const child = spawn(process.execPath, args, {
    env: options.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // BENCH_SERVER_STDOUT=<path>: each server's stdout (with --trace-gc, its GC log) goes to <path>.<pid>.
  const stdoutPath = process.env.BENCH_SERVER_STDOUT;
  if (stdoutPath) child.stdout!.pipe(createWriteStream(`${stdoutPath}.${child.pid}`));
  let stderr = '';
  let inspectorUrl: string | undefined;
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
    inspectorUrl ??= /Debugger listening on (ws:\/\/\S+)/.exec(stderr)?.[1];
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const timeoutMs = options.timeoutMs ?? 60_000;
  let port: number;
  try {
    port = await Promise.race([
      waitReady(child, options),
      exited.then((code) => {
        throw new Error(`server exited with ${code} before it was ready: ${stderr.trim().slice(-1500)}`);
      }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`server not ready after ${timeoutMs} ms: ${stderr.slice(-1500)}`)), timeoutMs).unref()),
    ]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  child.stdout!.resume();
  return {
    pid: child.pid!,
    port,
    stderrTail: () => stderr,
    collectGarbage: async () => {
      if (!inspectorUrl) throw new Error('collectGarbage needs a server spawned with inspect: true');
      await inspectorCall(inspectorUrl, 'HeapProfiler.collectGarbage');
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      // A --cpu-prof profile is written at exit: give a draining server time to get there.
      const timer = setTimeout(() => child.kill('SIGKILL'), options.args.includes('--cpu-prof') ? 60_000 : 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitReady(child: ChildProcess, options: SpawnOptions): Promise<number> {
  const ready = options.ready;
  if (ready.kind === 'stdout') {
    return new Promise((resolve) => {
      let buffered = '';
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        buffered += chunk;
        const m = /READY (\d+)/.exec(buffered);
        if (m) resolve(Number(m[1]));
      });
    });
  }
  child.stdout!.resume();
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${ready.port}${ready.path}`);
      if (res.ok) return ready.port;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** One DevTools protocol call; resolves when the process answers it. */
async function inspectorCall(url: string, method: string): Promise<void> {
  const socket = new WebSocket(url);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    await new Promise<void>((resolve, reject) => {
      socket.on('message', (data: Buffer) => {
        const reply = JSON.parse(data.toString()) as { id?: number; error?: { message: string } };
        if (reply.id !== 1) return;
        if (reply.error) reject(new Error(`${method}: ${reply.error.message}`));
        else resolve();
      });
      socket.send(JSON.stringify({ id: 1, method }));
    });
  } finally {
    socket.close();
  }
}
