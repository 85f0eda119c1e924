import type { AddressInfo } from 'node:net';
import { buildApiServer } from '@chorus/api';
import { ChatGateway } from '@chorus/chat-server';
import { presenceOnlineChecker, startPushWorker, sweepDeadLetters } from '@chorus/push-worker';
import {
  createLogger,
  createMetrics,
  loadConfig,
  openServices,
  sweepAttachments,
  type ChorusConfig,
  type Env,
  type Logger,
} from '@chorus/core';
import { resolveWebRoot } from './web-root.js';

export interface StartOptions {
  /** Environment to read the configuration from (defaults to process.env). */
  env?: Env;
  logger?: Logger;
}

export interface RunningChorus {
  config: ChorusConfig;
  /** http://host:port of the listening server (127.0.0.1 when bound to all interfaces). */
  url: string;
  port: number;
  /** The STOMP-over-TCP port when STOMP_TCP_PORT is set (the bound one, for STOMP_TCP_PORT=0). */
  stompTcpPort: number | undefined;
  gateway: ChatGateway;
  /** Drains STOMP clients over the configured window, then stops everything. */
  drain(): Promise<void>;
  /** Stops at once (tests). */
  close(): Promise<void>;
}

/**
 * The whole platform in one process on one port: REST api, STOMP over
 * WebSocket and SockJS, the browser client, metrics and health. The embedded
 * default is PGlite in DATA_DIR and an in-process broker; DATABASE_URL and
 * REDIS_URL switch to Postgres and Redis.
 */
export async function startChorus(options: StartOptions = {}): Promise<RunningChorus> {
  const config = loadConfig(options.env ?? process.env);
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: 'chorus' });
  const metrics = createMetrics('standalone');
  const services = await openServices(config, logger, metrics);
  const { store, broker, presence, pushQueue, readiness, chat, tokens, objects, storeDescription, brokerDescription } = services;
  readiness.addCheck('object store', () => objects.ping());
  const webRoot = await resolveWebRoot();
  const app = await buildApiServer({
    config,
    store,
    chat,
    tokens,
    metrics,
    logger,
    presence,
    pushQueue,
    objects,
    readiness: () => readiness.state(),
    ...(webRoot ? { webRoot } : {}),
  });
  const gateway = new ChatGateway({ config, chat, tokens, store, broker, metrics, logger, presence });
  gateway.attach(app.server);
  await app.listen({ port: config.port, host: config.host });
  const stompTcpPort = config.stompTcpPort !== undefined ? await gateway.listenTcp(config.stompTcpPort, config.host) : undefined;
  if (stompTcpPort !== undefined) logger.info({ port: stompTcpPort }, `STOMP over TCP listening on ${config.host}:${stompTcpPort}`);
  await readiness.start();
  // Log-only unless FCM credentials are configured; off when separate push-worker replicas run.
  const push = config.push.embeddedWorker
    ? startPushWorker({ config, store, queue: pushQueue, logger, metrics, online: presenceOnlineChecker(presence) })
    : undefined;
  const port = (app.server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host}:${port}`;
  logger.info(
    { url, store: storeDescription, broker: brokerDescription, web: webRoot ?? 'not built' },
    `Chorus listening on ${url} (store: ${storeDescription}; broker: ${brokerDescription})`,
  );

  // Singleton duties: this process is the only replica, so it always leads.
  const singletons = new AbortController();
  const sweeping = Promise.all([
    push ? sweepDeadLetters(pushQueue, { retentionDays: config.push.deadLetterRetentionDays, logger, signal: singletons.signal }) : undefined,
    sweepAttachments({ store, objects, ttlSeconds: config.attachments.unattachedTtlSeconds, logger, metrics, signal: singletons.signal }),
  ]);

  let stopped = false;
  const stop = async (drainWindowMs: number): Promise<void> => {
    if (stopped) return;
    stopped = true;
    readiness.startDraining();
    await gateway.shutdown(drainWindowMs);
    await app.close();
    singletons.abort();
    await sweeping;
    await push?.stop();
    await services.close();
  };
  return {
    config,
    url,
    port,
    stompTcpPort,
    gateway,
    drain: () => stop(config.drainWindowMs),
    close: () => stop(0),
  };
}
