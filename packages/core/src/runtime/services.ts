import { openBroker } from '../broker/open-broker.js';
import type { Broker } from '../broker/broker.js';
import { TokenService } from '../auth/tokens.js';
import { TokenRevocations } from '../auth/token-revocations.js';
import type { ChorusConfig } from '../config/config.js';
import { JWT_SECRET_FILE } from '../config/jwt-secret.js';
import { join } from 'node:path';
import { ChatService } from '../messaging/chat-service.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { Readiness } from '../observability/readiness.js';
import { openPresence } from '../presence/open-presence.js';
import type { Presence } from '../presence/presence.js';
import { SqlPushQueue } from '../push/sql-push-queue.js';
import { openStore } from '../store/open-store.js';
import type { ObjectStore } from '../objects/object-store.js';
import { openObjectStore } from '../objects/open-object-store.js';
import type { SqlDatabase } from '../store/sql-database.js';
import type { Store } from '../store/store.js';

/** Everything a Chorus process (api, chat-server, standalone) runs on, opened from its configuration. */
export interface ChorusServices {
  store: Store;
  db: SqlDatabase;
  broker: Broker;
  presence: Presence;
  pushQueue: SqlPushQueue;
  readiness: Readiness;
  chat: ChatService;
  tokens: TokenService;
  /**
   * Attachment bytes (S3 or files under DATA_DIR). Processes that serve attachments add
   * it to readiness (`readiness.addCheck('object store', () => objects.ping())`); the
   * chat-server does not depend on it.
   */
  objects: ObjectStore;
  /** Human-readable backends, for the start-up line. */
  storeDescription: string;
  brokerDescription: string;
  /** Stops readiness pings and closes presence, broker, store and object store, in that order. */
  close(): Promise<void>;
}

export async function openServices(config: ChorusConfig, logger: Logger, metrics: Metrics): Promise<ChorusServices> {
  logJwtSecretSource(config, logger);
  const { store, db, description: storeDescription } = await openStore(config, logger);
  const { broker, description: brokerDescription } = await openBroker(config, logger, metrics);
  const { presence } = openPresence(config, logger);
  const objects = await openObjectStore(config);
  const readiness = new Readiness(store, broker, metrics);
  const revocations = new TokenRevocations(store, broker, logger);
  await revocations.start();
  return {
    store,
    db,
    broker,
    presence,
    pushQueue: new SqlPushQueue(db),
    readiness,
    chat: new ChatService({
      store,
      broker,
      metrics,
      logger,
      maxMessageLength: config.limits.maxMessageLength,
      messageEditWindowSeconds: config.limits.messageEditWindowSeconds,
      maxAttachmentsPerMessage: config.attachments.maxPerMessage,
      appendCommitsInFlight: config.appendCommitsInFlight,
      appendMinConcurrentBatch: config.appendMinConcurrentBatch,
      appendLingerMs: config.appendLingerMs,
    }),
    tokens: new TokenService(config.jwt, revocations),
    objects,
    storeDescription,
    brokerDescription,
    async close() {
      readiness.stop();
      await presence.close();
      await revocations.close();
      await broker.close();
      await store.close();
      await objects.close();
    },
  };
}

/** Says once, at start, where a secret Chorus made itself lives (never the secret). */
function logJwtSecretSource(config: ChorusConfig, logger: Logger): void {
  const file = join(config.dataDir, JWT_SECRET_FILE);
  if (config.jwtSecretSource === 'generated') {
    logger.warn({ file }, `JWT_SECRET is not set: generated a random secret in ${file} (tokens survive restarts; set JWT_SECRET to share one between replicas)`);
  } else if (config.jwtSecretSource === 'loaded') {
    logger.info({ file }, `JWT_SECRET is not set: using the secret generated earlier in ${file}`);
  }
}
