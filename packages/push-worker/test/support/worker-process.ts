import { spawn, type ChildProcess } from 'node:child_process';

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@chorus/core/testing';
import type { FakeFcm } from './fake-fcm.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const preload = join(dirname(fileURLToPath(import.meta.url)), 'route-google-to-local.ts');

export interface WorkerProcess {
  child: ChildProcess;
  url: string;
  /** SIGKILL: no chance to finish anything. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

/**
 * `packages/push-worker/src/main.ts` from source as its own OS process, on the given
 * database, sending over firebase-admin's HTTP/1.1 transport to the FCM stand-in.
 */
export async function startWorkerProcess(options: {
  databaseUrl: string;
  fcm: FakeFcm;
  serviceAccount: Record<string, string>;
  env?: Record<string, string>;
}): Promise<WorkerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', '--import', preload, join(root, 'packages/push-worker/src/main.ts')], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'error',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: '',
      PUSH_FCM_TRANSPORT: 'http1',
      PUSH_POLL_MS: '20',
      FCM_SERVICE_ACCOUNT_JSON: JSON.stringify(options.serviceAccount),
      GOOGLE_APPLICATION_CREDENTIALS: '',
      CHORUS_TEST_FCM_PORT: String(options.fcm.port),
      CHORUS_TEST_FCM_CA: options.fcm.ca,
      ...options.env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`push worker exited with ${child.exitCode}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('push worker never became ready');
    }
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    url,
    kill9: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
  };
}

