import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A free TCP port on 127.0.0.1 (released before returning; fine for tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A throwaway redis-server the test owns (no persistence), for tests that take
 * Redis down and bring it back on the same port. Needs `redis-server` and
 * `redis-cli` on PATH.
 */
export class ThrowawayRedis {
  #child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async start(options: { timeoutMs?: number } = {}): Promise<ThrowawayRedis> {
    const redis = new ThrowawayRedis(await freePort());
    await redis.restart(options);
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Starts the server on its port; resolves once it accepts connections. */
  async restart(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#child) throw new Error(`redis-server on port ${this.port} is already running`);
    const timeoutMs = options.timeoutMs ?? 10_000;
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#child = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const fail = (reason: string) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        this.#child = undefined;
        reject(new Error(`redis-server on port ${this.port} ${reason}:\n${output.slice(-2000)}`));
      };
      const timer = setTimeout(() => fail(`not ready within ${timeoutMs} ms`), timeoutMs);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          child.off('exit', onExit);
          child.off('error', onError);
          resolve();
        }
      };
      const onExit = (code: number | null) => fail(`exited with code ${code}`);
      const onError = (err: Error) => fail(`failed to start: ${err.message}`);
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', onExit);
      child.once('error', onError);
    });
  }

  /** SHUTDOWN NOSAVE; resolves once the process has exited. */
  async stop(options: { timeoutMs?: number } = {}): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const timeoutMs = options.timeoutMs ?? 10_000;
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    // redis-cli reports an error when the server closes the connection on shutdown; the exit is what counts.
    await run('redis-cli', ['-p', String(this.port), 'shutdown', 'nosave'], { timeout: timeoutMs }).catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    if ((await Promise.race([exited, timedOut])) === 'timeout') {
      child.kill('SIGKILL');
      await exited;
    }
    clearTimeout(timer);
    this.#child = undefined;
  }
}
