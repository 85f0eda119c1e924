export { createTestDatabase, createTestStore, storeBackends, type StoreBackend, type TestStore } from './test-store.js';
export * from './brokers.js';
export * from './redis-server.js';
export * from './limits.js';
export * from './s3-server.js';
