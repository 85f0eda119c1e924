import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RELAXED_LIMITS_ENV } from '@chorus/core/testing';

const SHARED_JWT_SECRET = randomBytes(32).toString('base64url');
const root = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** One Chorus service running from source as its own OS process (`node --conditions=source --import tsx`). */
export class ServiceProcess {
  #child: ChildProcess | undefined;
  #output: string[] = [];
  #exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({ code: null, signal: null });

  constructor(
    readonly name: string,
    private readonly entry: string,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** The last lines the process wrote, for failure messages. */
  get outputTail(): string {
    return this.#output.slice(-30).join('');
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', join(root, this.entry)], {
      cwd: root,
      // Every replica (and every restart) must accept the same tokens: one secret per test run.
      env: { ...process.env, ...RELAXED_LIMITS_ENV, NODE_ENV: 'test', JWT_SECRET: SHARED_JWT_SECRET, LOG_LEVEL: 'error', HOST: '127.0.0.1', PORT: String(this.port), ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    const keep = (chunk: Buffer) => {
      this.#output.push(chunk.toString());
      if (this.#output.length > 200) this.#output.splice(0, 100);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.#exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    await this.waitReady();
  }

  async waitReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited while starting:\n${this.outputTail}`);
      if ((await this.readyStatus()) === 200) return;
      await delay(100);
    }
    throw new Error(`${this.name} not ready within ${timeoutMs} ms:\n${this.outputTail}`);
  }

  /** The /readyz status, or 0 when nothing answers. */
  async readyStatus(): Promise<number> {
    try {
      return (await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2000) })).status;
    } catch {
      return 0;
    }
  }

  /** kill -9: no drain, no goodbye. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.#child!.kill('SIGKILL');
    await this.#exit;
  }

  /** Sends SIGTERM and resolves with how the process exited. */
  async terminate(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.running) return this.#exit;
    this.#child!.kill('SIGTERM');
    return this.#exit;
  }

  signal(signal: NodeJS.Signals): void {
    this.#child?.kill(signal);
  }

  get exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.#exit;
  }
}

export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true; rejects with `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(everyMs);
  }
}
