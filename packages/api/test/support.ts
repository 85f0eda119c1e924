import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import {
  ChatService,
  createLogger,
  createMetrics,
  loadConfig,
  MemoryBroker,
  SqlPushQueue,
  TokenRevocations,
  TokenService,
  type ChorusConfig,
  type Env,
  type Logger,
  type Metrics,
  type ObjectStore,
  type Presence,
  type ReadinessState,
  type Store,
} from '@chorus/core';
import { createTestStore, RELAXED_LIMITS_ENV, type StoreBackend } from '@chorus/core/testing';
import type { FastifyInstance } from 'fastify';
import { buildApiServer } from '../src/index.js';

export { storeBackends } from '@chorus/core/testing';

/** Settings the suites rely on: a short message limit and a small login budget. */
export const TEST_ENV: Env = {
  ...RELAXED_LIMITS_ENV,
  NODE_ENV: 'test',
  MAX_MESSAGE_LENGTH: '200',
  LOGIN_ATTEMPTS_PER_MINUTE: '5',
  MAX_BODY_BYTES: '8192',
};

export interface Reply {
  status: number;
  headers: Headers;
  // Tests read whatever JSON the API returned.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

export interface CallOptions {
  token?: string;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as-is (with the given content-type, default application/json). */
  raw?: string;
  headers?: Record<string, string>;
}

export interface TestUser {
  id: string;
  username: string;
  email: string;
  password: string;
  token: string;
}

export interface TestApi {
  kind: StoreBackend;
  url: string;
  app: FastifyInstance;
  store: Store;
  broker: MemoryBroker;
  metrics: Metrics;
  config: ChorusConfig;
  tokens: TokenService;
  /** Replaces what /readyz reports. */
  setReadiness(readiness: () => ReadinessState): void;
  call(method: string, path: string, options?: CallOptions): Promise<Reply>;
  /** Signs up a user with a random name (scrypt: create few, once per file). */
  signup(prefix?: string): Promise<TestUser>;
  close(): Promise<void>;
}

export const randomName = (prefix = 'u') => `${prefix}_${randomBytes(5).toString('hex')}`;

export async function call(baseUrl: string, method: string, path: string, options: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  } else if (options.raw !== undefined) {
    body = options.raw;
    headers['content-type'] ??= 'application/json';
  }
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = undefined;
  if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/**
 * A real API server on a random port over a fresh store of that backend (or the
 * given one, which it then does not close) and a memory broker.
 */
export async function startTestApi(
  kind: StoreBackend,
  options: { env?: Env; webRoot?: string; store?: Store; logger?: Logger; presence?: Presence; objects?: ObjectStore } = {},
): Promise<TestApi> {
  const config = loadConfig({ ...TEST_ENV, ...options.env });
  const logger = options.logger ?? createLogger({ level: 'silent', name: 'api-test', pretty: false });
  const metrics = createMetrics('api');
  const owned = options.store ? undefined : await createTestStore(kind);
  const store = options.store ?? owned!.store;
  const broker = new MemoryBroker({ logger });
  const chat = new ChatService({ store, broker, metrics, logger, maxMessageLength: config.limits.maxMessageLength, maxAttachmentsPerMessage: config.attachments.maxPerMessage, messageEditWindowSeconds: config.limits.messageEditWindowSeconds });
  const revocations = new TokenRevocations(store, broker, logger);
  await revocations.start();
  const tokens = new TokenService(config.jwt, revocations);
  let readiness = (): ReadinessState => ({ ready: true, reasons: [] });
  const app = await buildApiServer({
    config,
    store,
    chat,
    tokens,
    metrics,
    logger,
    readiness: () => readiness(),
    ...(options.webRoot ? { webRoot: options.webRoot } : {}),
    ...(options.presence ? { presence: options.presence } : {}),
    ...(owned ? { pushQueue: new SqlPushQueue(owned.db) } : {}),
    ...(options.objects ? { objects: options.objects } : {}),
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });

  const api: TestApi = {
    kind,
    url,
    app,
    store,
    broker,
    metrics,
    config,
    tokens,
    setReadiness: (next) => {
      readiness = next;
    },
    call: (method, path, callOptions) => call(url, method, path, callOptions),
    async signup(prefix = 'u') {
      const username = randomName(prefix);
      const email = `${username}@example.test`;
      const password = `pw-${randomBytes(6).toString('hex')}`;
      const reply = await api.call('POST', '/api/auth/signup', { json: { username, email, password } });
      if (reply.status !== 201) throw new Error(`signup failed: ${reply.status} ${reply.text}`);
      return { id: reply.body.user.id, username, email, password, token: reply.body.token };
    },
    async close() {
      const closing = app.close();
      // A keep-alive socket whose last response had not gone idle when close() began would hold
      // the server open for fastify's keepAliveTimeout (72 s); every request of a test is answered
      // by now, so its connections can go at once.
      app.server.closeAllConnections();
      await closing;
      await revocations.close();
      await broker.close();
      await owned?.cleanup();
    },
  };
  return api;
}

/** Asserts the status and the API's single error shape `{"error":{"code","message"}}`. */
export function expectError(reply: Reply, status: number, code: string): string {
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
  expect({ status: reply.status, body: reply.body }).toEqual({
    status,
    body: { error: { code, message: expect.any(String) } },
  });
  const message: string = reply.body.error.message;
  expect(message.length).toBeGreaterThan(0);
  return message;
}

/**
 * One server and store per backend for the whole describe block (creating a
 * store costs seconds); suites read it through the returned getter.
 */
export function useTestApi(kind: StoreBackend): () => TestApi {
  let api: TestApi | undefined;
  beforeAll(async () => {
    api = await startTestApi(kind);
  });
  afterAll(async () => {
    await api?.close();
  });
  return () => {
    if (!api) throw new Error('test api not started');
    return api;
  };
}
