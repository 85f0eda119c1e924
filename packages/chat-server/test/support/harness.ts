import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  ChatService,
  createLogger,
  createMetrics,
  loadConfig,
  TokenRevocations,
  TokenService,
  type Broker,
  type ChorusConfig,
  type Env,
  type Logger,
  type Metrics,
  type Room,
  type Store,
  type User,
} from '@chorus/core';
import { createTestBroker, createTestStore } from '@chorus/core/testing';
import { ChatGateway } from '../../src/gateway/chat-gateway.js';
import { createOpsServer } from '../../src/ops-server.js';

/** A second chat-server process's worth of services, over the same store as a harness, with its own broker connection. */
export interface Replica {
  url: string;
  wsUrl: string;
  chat: ChatService;
  gateway: ChatGateway;
  close(): Promise<void>;
}

export interface TestUser extends User {
  token: string;
}

export interface Harness {
  url: string;
  wsUrl: string;
  config: ChorusConfig;
  store: Store;
  broker: Broker;
  chat: ChatService;
  tokens: TokenService;
  metrics: Metrics;
  gateway: ChatGateway;
  createUser(prefix?: string): Promise<TestUser>;
  createRoom(owner: TestUser, options?: { private?: boolean }): Promise<Room>;
  /** Starts another replica over this harness's store; it needs broker 'redis' to share pub/sub. */
  startReplica(): Promise<Replica>;
  close(): Promise<void>;
}

/** A real chat-server (gateway + ops HTTP server) on an ephemeral port, over a real store and broker. */
export async function startHarness(
  options: { store?: 'pglite' | 'postgres'; broker?: 'memory' | 'redis'; env?: Env; logger?: Logger } = {},
): Promise<Harness> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...options.env });
  const logger = options.logger ?? createLogger({ level: 'silent', name: 'test', pretty: false });
  const metrics = createMetrics('chat-server-test');
  const testStore = await createTestStore(options.store ?? 'pglite');
  const broker = await createTestBroker(options.broker ?? 'memory');
  const store = testStore.store;
  const chat = new ChatService({ store, broker, metrics, logger, maxMessageLength: config.limits.maxMessageLength });
  const revocations = new TokenRevocations(store, broker, logger);
  await revocations.start();
  const tokens = new TokenService(config.jwt, revocations);
  const gateway = new ChatGateway({ config, chat, tokens, store, broker, metrics, logger });
  const server = createOpsServer(metrics, () => ({ ready: true, reasons: [] }), config);
  gateway.attach(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const replicas: Replica[] = [];

  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    config,
    store,
    broker,
    chat,
    tokens,
    metrics,
    gateway,
    async createUser(prefix = 'u') {
      const name = `${prefix}${randomUUID().slice(0, 8)}`;
      const user = await store.createUser({ username: name, email: `${name}@example.test`, passwordHash: 'x' });
      const token = await tokens.issue({ userId: user.id, username: user.username });
      return { ...user, token };
    },
    async createRoom(owner, roomOptions = {}) {
      return chat.createRoom(owner, `room-${randomUUID().slice(0, 6)}`, roomOptions.private ?? false);
    },
    async startReplica() {
      const replicaBroker = await createTestBroker(options.broker ?? 'memory', { name: 'chorus-test-replica' });
      const replicaChat = new ChatService({ store, broker: replicaBroker, metrics, logger, maxMessageLength: config.limits.maxMessageLength });
      // Its own token checks, as a separate process has: they learn of revocations over its broker.
      const replicaRevocations = new TokenRevocations(store, replicaBroker, logger);
      await replicaRevocations.start();
      const replicaTokens = new TokenService(config.jwt, replicaRevocations);
      const replicaGateway = new ChatGateway({ config, chat: replicaChat, tokens: replicaTokens, store, broker: replicaBroker, metrics, logger });
      const replicaServer = createOpsServer(metrics, () => ({ ready: true, reasons: [] }), config);
      replicaGateway.attach(replicaServer);
      replicaServer.listen(0, '127.0.0.1');
      await once(replicaServer, 'listening');
      const replicaPort = (replicaServer.address() as AddressInfo).port;
      const replica: Replica = {
        url: `http://127.0.0.1:${replicaPort}`,
        wsUrl: `ws://127.0.0.1:${replicaPort}/ws`,
        chat: replicaChat,
        gateway: replicaGateway,
        async close() {
          replicaGateway.close();
          replicaServer.closeAllConnections();
          replicaServer.close();
          await replicaRevocations.close();
          await replicaBroker.close();
        },
      };
      replicas.push(replica);
      return replica;
    },
    async close() {
      for (const replica of replicas.splice(0)) await replica.close();
      gateway.close();
      server.closeAllConnections();
      server.close();
      await revocations.close();
      await broker.close();
      await testStore.cleanup();
    },
  };
}
