import { pino } from 'pino';
import type { Broker } from '../broker/broker.js';
import { MemoryBroker } from '../broker/memory-broker.js';
import { RedisBroker } from '../broker/redis-broker.js';
import type { Logger } from '../observability/logger.js';

export type BrokerBackend = 'memory' | 'redis';

/**
 * The broker backends a contract suite runs against: always the memory broker,
 * plus Redis when REDIS_URL is set. In CI (env CI set) a missing REDIS_URL is
 * an error, so that the Redis run is never skipped silently.
 */
export function brokerBackends(): BrokerBackend[] {
  if (process.env.REDIS_URL) return ['memory', 'redis'];
  if (process.env.CI) throw new Error('CI is set but REDIS_URL is not: the Redis broker tests would be skipped');
  return ['memory'];
}

/** A ready broker of that kind (Redis at REDIS_URL). Close it in afterAll/afterEach. */
export async function createTestBroker(
  kind: BrokerBackend,
  options: { logger?: Logger; name?: string } = {},
): Promise<Broker> {
  const logger = options.logger ?? pino({ level: 'silent' });
  if (kind === 'memory') return new MemoryBroker({ logger });
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('createTestBroker("redis") needs REDIS_URL');
  const broker = new RedisBroker({ url, logger, name: options.name ?? 'chorus-test', reconnectDelay: { initialMs: 50, maxMs: 500 } });
  try {
    await broker.waitUntilReady(5000);
  } catch (err) {
    await broker.close();
    throw err;
  }
  return broker;
}
