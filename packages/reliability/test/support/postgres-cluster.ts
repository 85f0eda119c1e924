import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@chorus/core/testing';
import { postgresBinDir } from './binaries.js';

const run = promisify(execFile);

/**
 * A Postgres cluster the suite owns, in a temporary directory, so that a test
 * can stop and start the database without touching the shared one. initdb
 * refuses to run as root, so as root the cluster belongs to the `postgres` user.
 */
export class ThrowawayPostgres {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly bin: string,
  ) {}

  static async start(): Promise<ThrowawayPostgres> {
    const bin = postgresBinDir();
    const dir = mkdtempSync(join(tmpdir(), 'chorus-pg-'));
    const cluster = new ThrowawayPostgres(await freePort(), dir, bin);
    if (isRoot()) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
    }
    await cluster.#pg(`${bin}/initdb -D ${dir}/data --auth=trust --username=postgres --no-sync -E UTF8`);
    await cluster.restart();
    return cluster;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async restart(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
    await this.#pg(`${this.bin}/pg_ctl -D ${this.dir}/data -l ${this.dir}/log -o '${options}' -w -t 30 start`);
  }

  /** Fast shutdown: open connections are cut, as when the database host goes away. */
  async stop(): Promise<void> {
    await this.#pg(`${this.bin}/pg_ctl -D ${this.dir}/data -m fast -w -t 30 stop`);
  }

  async destroy(): Promise<void> {
    await this.#pg(`${this.bin}/pg_ctl -D ${this.dir}/data -m immediate -w stop`).catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }

  async #pg(command: string): Promise<void> {
    if (isRoot()) await run('su', ['postgres', '-c', command], { cwd: this.dir });
    else await run('sh', ['-c', command], { cwd: this.dir });
  }
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
