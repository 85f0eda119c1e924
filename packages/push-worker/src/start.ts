import type { Agent } from 'node:http';
import type { ChorusConfig, Logger, Metrics, PushQueue, Store } from '@chorus/core';
import { FcmPushSender, fcmCredentialFromConfig } from './fcm-sender.js';
import { LogPushSender } from './log-sender.js';
import { nobodyOnline, type OnlineChecker } from './online.js';
import { PushWorker } from './push-worker.js';
import type { PushSender } from './push-sender.js';

export interface PushWorkerDeps {
  config: ChorusConfig;
  store: Pick<Store, 'listPushRecipientsByRoom' | 'deleteDevice'>;
  queue: PushQueue;
  logger: Logger;
  metrics: Metrics;
  /** Who is online per room (core's Presence via presenceOnlineChecker); default: nobody. */
  online?: OnlineChecker;
  /** Overrides the sender chosen from the configuration. */
  sender?: PushSender;
  /** Passed to firebase-admin (tests route it to a local FCM stand-in). */
  httpAgent?: Agent;
}

export interface RunningPushWorker {
  worker: PushWorker;
  sender: PushSender;
  /** Stops claiming, settles the round in flight, closes the sender. */
  stop(): Promise<void>;
}

/**
 * FCM when credentials are configured (GOOGLE_APPLICATION_CREDENTIALS or
 * FCM_SERVICE_ACCOUNT_JSON), otherwise the log-only sender, announced by one clear line.
 */
export function createPushSender(config: ChorusConfig, logger: Logger, httpAgent?: Agent): PushSender {
  const credential = fcmCredentialFromConfig(config.push);
  if (!credential) {
    logger.warn(
      'push is in log-only mode: no FCM credentials (set GOOGLE_APPLICATION_CREDENTIALS or FCM_SERVICE_ACCOUNT_JSON); notifications are logged, not sent',
    );
    return new LogPushSender(logger);
  }
  logger.info(
    { transport: config.push.fcmTransport, credential: 'serviceAccount' in credential ? 'FCM_SERVICE_ACCOUNT_JSON' : 'GOOGLE_APPLICATION_CREDENTIALS' },
    'push sends through Firebase Cloud Messaging',
  );
  return new FcmPushSender({ credential, transport: config.push.fcmTransport, logger, ...(httpAgent ? { httpAgent } : {}) });
}

/** Starts a push worker over the queue with the configured sender and policy. */
export function startPushWorker(deps: PushWorkerDeps): RunningPushWorker {
  const push = deps.config.push;
  const sender = deps.sender ?? createPushSender(deps.config, deps.logger, deps.httpAgent);
  const worker = new PushWorker({
    queue: deps.queue,
    store: deps.store,
    sender,
    online: deps.online ?? nobodyOnline,
    logger: deps.logger,
    metrics: deps.metrics,
    previews: push.previews,
    pollMs: push.pollMs,
    batchRooms: push.batchRooms,
    leaseMs: push.leaseMs,
    maxAttempts: push.maxAttempts,
    backoff: { baseMs: push.retryBaseMs, maxMs: push.retryMaxMs },
  });
  worker.start();
  let stopped: Promise<void> | undefined;
  return {
    worker,
    sender,
    stop: () =>
      (stopped ??= (async () => {
        await worker.stop();
        await sender.close();
      })()),
  };
}
