import { createLogger, createMetrics, exitOnStartupError, loadConfigOrExit, onShutdownSignal, openServices } from '@chorus/core';
import { buildApiServer } from './app.js';

/** The REST API as its own service (`pnpm --filter @chorus/api start`). */
const config = loadConfigOrExit();
const logger = createLogger({ level: config.logLevel, name: 'api' });
const metrics = createMetrics('api');
const services = await openServices(config, logger, metrics).catch(exitOnStartupError);
const { store, chat, tokens, presence, pushQueue, readiness, objects, storeDescription, brokerDescription } = services;
readiness.addCheck('object store', () => objects.ping());
const app = await buildApiServer({ config, store, chat, tokens, metrics, logger, presence, pushQueue, objects, readiness: () => readiness.state() });
const address = await app.listen({ port: config.port, host: config.host });
await readiness.start();
logger.info(
  { address, store: storeDescription, broker: brokerDescription, objects: objects.description },
  `api listening on ${address} (store: ${storeDescription}; broker: ${brokerDescription}; files: ${objects.description})`,
);

async function shutdown(signal: string): Promise<void> {
  logger.info({ signal }, 'shutting down');
  readiness.startDraining();
  await app.close();
  await services.close();
  logger.info('stopped');
}
onShutdownSignal(shutdown, logger);
