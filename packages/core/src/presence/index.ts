export * from './presence.js';
export { MemoryPresence } from './memory-presence.js';
export { RedisPresence, type RedisPresenceOptions } from './redis-presence.js';
export { openPresence } from './open-presence.js';
