import type { ChorusConfig } from '../config/config.js';
import type { Logger } from '../observability/logger.js';
import { MemoryPresence } from './memory-presence.js';
import type { Presence } from './presence.js';
import { RedisPresence } from './redis-presence.js';

/** REDIS_URL set → presence shared by every replica through Redis; otherwise this process only. */
export function openPresence(config: ChorusConfig, logger: Logger): { presence: Presence; kind: 'redis' | 'memory' } {
  const ttlMs = config.presence.ttlMs;
  if (!config.redisUrl) return { presence: new MemoryPresence({ ttlMs }), kind: 'memory' };
  return { presence: new RedisPresence({ url: config.redisUrl, logger, ttlMs }), kind: 'redis' };
}
