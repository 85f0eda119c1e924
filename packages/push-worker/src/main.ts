import { once } from 'node:events';
import {
  createLogger,
  createMetrics,
  exitOnStartupError,
  LeaseElector,
  loadConfigOrExit,
  onShutdownSignal,
  openObjectStore,
  openPresence,
  openStore,
  SINGLETON_LEASE_NAME,
  SqlPushQueue,
  sweepAttachments,
} from '@chorus/core';
import { sweepDeadLetters } from './dead-letter-sweeper.js';
import { nobodyOnline, presenceOnlineChecker } from './online.js';
import { createPushOpsServer } from './ops-server.js';
import { startPushWorker } from './start.js';

/** The push worker as its own service (`pnpm --filter @chorus/push-worker start`). */
const config = loadConfigOrExit();
const logger = createLogger({ level: config.logLevel, name: 'push-worker' });
const metrics = createMetrics('push-worker');
const { store, db, description } = await openStore(config, logger).catch(exitOnStartupError);
// Only shared (Redis) presence knows about connections of other processes.
const presence = config.redisUrl ? openPresence(config, logger).presence : undefined;
if (!presence) logger.warn('no REDIS_URL: presence is unknown to this process, so every member counts as offline');
const queue = new SqlPushQueue(db);
// Only for the singleton attachment sweep (uploads never sent, orphan objects).
const objects = await openObjectStore(config);
const push = startPushWorker({
  config,
  store,
  queue,
  logger,
  metrics,
  online: presence ? presenceOnlineChecker(presence) : nobodyOnline,
});

// Singleton duties run on one replica at a time (a coordination.k8s.io Lease in
// a cluster; outside one, this process simply leads).
const elector = new LeaseElector({
  name: SINGLETON_LEASE_NAME,
  logger,
  onStartedLeading: async (signal) => {
    await Promise.all([
      sweepDeadLetters(queue, { retentionDays: config.push.deadLetterRetentionDays, logger, signal }),
      sweepAttachments({ store, objects, ttlSeconds: config.attachments.unattachedTtlSeconds, logger, metrics, signal }),
    ]);
  },
});
elector.start();

let storeOk = false;
let draining = false;
const ping = async () => {
  storeOk = await store.ping().then(
    () => true,
    () => false,
  );
  metrics.ready.set(storeOk && !draining ? 1 : 0);
};
await ping();
const pinger = setInterval(() => void ping(), 2000);
pinger.unref();

const server = createPushOpsServer(metrics, () => {
  const reasons = [...(draining ? ['draining'] : []), ...(storeOk ? [] : ['storage unavailable'])];
  return { ready: reasons.length === 0, reasons };
}, config);
server.listen(config.port, config.host);
await once(server, 'listening');
logger.info({ port: config.port, store: description, sender: push.sender.kind }, `push-worker listening on ${config.host}:${config.port} (store: ${description})`);

async function shutdown(signal: string): Promise<void> {
  draining = true;
  logger.info({ signal }, 'finishing the push batch in flight, then stopping');
  await push.stop();
  await elector.stop();
  clearInterval(pinger);
  server.close();
  await presence?.close();
  await store.close();
  await objects.close();
  logger.info('stopped');
}
onShutdownSignal(shutdown, logger);
