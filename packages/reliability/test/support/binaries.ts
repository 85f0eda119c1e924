import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Postgres server binaries (initdb, pg_ctl) of the newest installed
 * version. The suite needs real binaries: a missing one fails with a message
 * saying what to install, never a silent skip.
 */
export function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const dir = join(base, version, 'bin');
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  const onPath = which('pg_ctl');
  if (onPath && which('initdb')) return onPath.replace(/\/pg_ctl$/, '');
  throw new Error(
    'The reliability suite needs the Postgres server binaries (initdb, pg_ctl): install the `postgresql` package ' +
      '(`.ci/run` does this in CI).',
  );
}

export function requireRedisServer(): void {
  if (!which('redis-server') || !which('redis-cli')) {
    throw new Error('The reliability suite needs redis-server and redis-cli on PATH: install `redis-server` and `redis-tools` (`.ci/run` does this in CI).');
  }
}

function which(command: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}
