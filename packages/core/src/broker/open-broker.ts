import type { Broker } from './broker.js';
import { MemoryBroker } from './memory-broker.js';
import { RedisBroker, redactRedisUrl } from './redis-broker.js';
import type { ChorusConfig } from '../config/config.js';
import { unavailable } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

export interface OpenedBroker {
  broker: Broker;
  kind: 'redis' | 'memory';
  /** Human-readable, password-free, for the startup log line. */
  description: string;
}

/**
 * REDIS_URL set → RedisBroker, resolved once both connections are ready; a
 * Redis that stays unreachable for `connectTimeoutMs` (default 5 s) fails
 * start-up with ChorusError('unavailable'). Otherwise the in-process broker,
 * which only connects the sessions of this one process.
 */
export async function openBroker(
  config: ChorusConfig,
  logger: Logger,
  metrics?: Metrics,
  options: { connectTimeoutMs?: number } = {},
): Promise<OpenedBroker> {
  if (!config.redisUrl) {
    return { broker: new MemoryBroker({ logger, metrics }), kind: 'memory', description: 'in-memory broker (single process)' };
  }
  const where = redactRedisUrl(config.redisUrl);
  const broker = new RedisBroker({ url: config.redisUrl, logger, metrics });
  const timeoutMs = options.connectTimeoutMs ?? 5000;
  try {
    await broker.waitUntilReady(timeoutMs);
  } catch (err) {
    await broker.close();
    const reason = broker.lastError ? ` (${broker.lastError.message})` : '';
    throw unavailable(`cannot connect to Redis at ${where} within ${timeoutMs} ms${reason}`, err);
  }
  return { broker, kind: 'redis', description: `redis pub/sub at ${where}` };
}
