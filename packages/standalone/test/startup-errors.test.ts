import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const run = promisify(execFile);

/** `pnpm start`'s entry point from source; resolves with its exit code and stderr. */
async function start(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'chorus-startup-'));
  try {
    await run(process.execPath, ['--conditions=source', '--import', 'tsx', join(root, 'packages/standalone/src/main.ts')], {
      cwd: root,
      env: { PATH: process.env['PATH'], NODE_ENV: 'test', LOG_LEVEL: 'warn', PORT: '0', DATA_DIR: dataDir, ...env },
      timeout: 60_000,
    });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

it('a DATABASE_URL nothing answers at stops the start with one line and exit code 69, not a stack trace', async () => {
  const { code, stderr } = await start({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/chorus' });
  expect(code).toBe(69);
  expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^chorus: cannot open the store at postgres:\/\/127\.0\.0\.1:1\/chorus: connect ECONNREFUSED/)]);
}, 90_000);
