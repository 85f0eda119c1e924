import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatService, createLogger, createMetrics, loadConfig, MemoryBroker, MemoryPresence, TokenService, type Store } from '@chorus/core';
import { createTestStore, type TestStore } from '@chorus/core/testing';
import type { FastifyInstance } from 'fastify';
import { buildApiServer } from '../src/app.js';
import { call, expectError, randomName, TEST_ENV } from './support.js';

describe('GET /api/rooms/:id/presence', () => {
  let testStore: TestStore;
  let store: Store;
  let app: FastifyInstance;
  let url: string;
  const presence = new MemoryPresence({ ttlMs: 30_000 });
  const tokens = new TokenService(loadConfig(TEST_ENV).jwt);
  const user = async (prefix: string) => {
    const created = await store.createUser({ username: randomName(prefix), email: `${randomName(prefix)}@example.test`, passwordHash: 'x' });
    return { ...created, token: await tokens.issue({ userId: created.id, username: created.username }) };
  };

  beforeAll(async () => {
    const config = loadConfig(TEST_ENV);
    const logger = createLogger({ level: 'silent', name: 'api-test', pretty: false });
    const metrics = createMetrics('api');
    testStore = await createTestStore('pglite');
    store = testStore.store;
    const chat = new ChatService({ store, broker: new MemoryBroker(), metrics, logger, maxMessageLength: 4000 });
    app = await buildApiServer({ config, store, chat, tokens, metrics, logger, presence, readiness: () => ({ ready: true, reasons: [] }) });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await app?.close();
    await testStore?.cleanup();
  });

  it('lists the online users of a room to its members and hides private rooms from others', async () => {
    const [alice, bob, carol] = [await user('alice'), await user('bob'), await user('carol')];
    const lounge = await store.createRoom({ name: 'lounge', private: false, createdBy: alice.id });
    const vault = await store.createRoom({ name: 'vault', private: true, createdBy: alice.id });
    await store.addMember(lounge.id, bob.id);
    await presence.join(lounge.id, 'c1', { id: bob.id, username: bob.username });
    await presence.join(lounge.id, 'c2', { id: bob.id, username: bob.username });

    const reply = await call(url, 'GET', `/api/rooms/${lounge.id}/presence`, { token: alice.token });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ online: [{ id: bob.id, username: bob.username }] });

    expect((await call(url, 'GET', `/api/rooms/${vault.id}/presence`, { token: alice.token })).body).toEqual({ online: [] });
    expectError(await call(url, 'GET', `/api/rooms/${vault.id}/presence`, { token: carol.token }), 404, 'not_found');
    expectError(await call(url, 'GET', `/api/rooms/${lounge.id}/presence`, { token: carol.token }), 403, 'forbidden');
    expectError(await call(url, 'GET', `/api/rooms/${lounge.id}/presence`), 401, 'unauthorized');
  });
});
