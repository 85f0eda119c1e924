import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RELAXED_LIMITS_ENV } from '@chorus/core/testing';

export interface TestServer {
  url: string;
  close(): Promise<void>;
}

interface StandaloneModule {
  startChorus(options: { env: Record<string, string> }): Promise<{ url: string; close(): Promise<void> }>;
}

/**
 * The real all-in-one server (REST, STOMP over WebSocket and SockJS, the built
 * client at /), in this process. Imported by path: @chorus/standalone depends
 * on @chorus/web, so a package dependency back would be a cycle.
 */
const STANDALONE_ENTRY = new URL('../../../standalone/src/index.ts', import.meta.url).href;

export async function startServer(overrides: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'chorus-web-e2e-'));
  const env: Record<string, string> = {
    ...RELAXED_LIMITS_ENV,
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    DRAIN_WINDOW_MS: '0',
    ...pick(process.env, ['DATABASE_URL', 'REDIS_URL']),
    ...overrides,
  };
  const { startChorus } = (await import(/* @vite-ignore */ STANDALONE_ENTRY)) as StandaloneModule;
  const server = await startChorus({ env });
  return {
    url: server.url,
    async close() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export const webDir = fileURLToPath(new URL('../../', import.meta.url));

function pick(source: NodeJS.ProcessEnv, keys: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys) {
    const value = source[key];
    if (value) out[key] = value;
  }
  return out;
}
