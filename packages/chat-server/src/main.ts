import { once } from 'node:events';
import { createLogger, createMetrics, exitOnStartupError, loadConfigOrExit, onShutdownSignal, openServices, PodDeletionCostUpdater } from '@chorus/core';
import { ChatGateway } from './gateway/chat-gateway.js';
import { createOpsServer } from './ops-server.js';

/** The chat-server as its own service: STOMP at /ws and /sockjs, plus /healthz, /readyz, /metrics. */
const config = loadConfigOrExit();
const logger = createLogger({ level: config.logLevel, name: 'chat-server' });
const metrics = createMetrics('chat-server');
const services = await openServices(config, logger, metrics).catch(exitOnStartupError);
const { store, broker, presence, readiness, chat, tokens, storeDescription, brokerDescription } = services;
const gateway = new ChatGateway({ config, chat, tokens, store, broker, metrics, logger, presence });
const server = createOpsServer(metrics, () => readiness.state(), config);
gateway.attach(server);
server.listen(config.port, config.host);
await once(server, 'listening');
if (config.stompTcpPort !== undefined) {
  const tcpPort = await gateway.listenTcp(config.stompTcpPort, config.host);
  logger.info({ port: tcpPort }, `STOMP over TCP listening on ${config.host}:${tcpPort}`);
}
await readiness.start();
logger.info({ port: config.port, host: config.host, store: storeDescription, broker: brokerDescription }, `chat-server listening on ${config.host}:${config.port}`);

// In a cluster, keep controller.kubernetes.io/pod-deletion-cost equal to the live
// connection count so that scale-down removes the idlest pods first (no-op elsewhere).
const deletionCost = new PodDeletionCostUpdater({ connections: () => gateway.connectionCount, logger });
deletionCost.start();

async function shutdown(signal: string): Promise<void> {
  logger.info({ signal, drainWindowMs: config.drainWindowMs }, 'draining');
  readiness.startDraining();
  await deletionCost.stop();
  await gateway.shutdown(config.drainWindowMs);
  server.close();
  await services.close();
  logger.info('stopped');
}
onShutdownSignal(shutdown, logger);
