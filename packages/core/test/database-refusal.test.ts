import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { StartupError } from '../src/startup-error.js';
import { databaseStartupError } from '../src/store/database-refusal.js';
import { openStore } from '../src/store/open-store.js';

const silent = pino({ level: 'silent' });
const open = (databaseUrl: string) => openStore(loadConfig({ DATABASE_URL: databaseUrl }), silent);

describe('a database that cannot be used as configured fails the start with one clear line', () => {
  it('nothing listening at the address: StartupError naming the address and what to check', async () => {
    const err = await open('postgres://postgres@127.0.0.1:1/chorus').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toMatch(/^cannot open the store at postgres:\/\/127\.0\.0\.1:1\/chorus: connect ECONNREFUSED .*is Postgres running/);
  });

  it.runIf(process.env.DATABASE_URL)('a database that does not exist: StartupError saying so and how to create it', async () => {
    const url = new URL(process.env.DATABASE_URL!);
    const name = `chorus_missing_${randomBytes(4).toString('hex')}`;
    url.pathname = `/${name}`;
    const err = await open(url.toString()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toContain(`database "${name}" does not exist`);
    expect((err as Error).message).toContain('createdb');
  });

  it('any other failure (a migration that fails) is passed on unchanged, with its stack', () => {
    const failure = Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' });
    expect(databaseStartupError(failure, 'postgres://db/chorus')).toBe(failure);
    expect(databaseStartupError('not an error', 'postgres://db/chorus')).toBe('not an error');
  });
});
