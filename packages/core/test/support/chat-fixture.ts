import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, expect } from 'vitest';
import { MemoryBroker } from '../../src/broker/memory-broker.js';
import type { Room, User } from '../../src/domain/types.js';
import { ChorusError } from '../../src/errors.js';
import { ChatService, type ChatServiceOptions } from '../../src/messaging/chat-service.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { SqlStore } from '../../src/store/sql-store.js';
import { createTestStore, type StoreBackend, type TestStore } from '../../src/testing/index.js';

/** A short random suffix for names that must be unique in a shared database. */
export const tag = (): string => randomBytes(5).toString('hex');

/** The acting user as services take it. */
export const actor = (u: User): { id: string; username: string } => ({ id: u.id, username: u.username });

/** Expects a ChorusError with this code (and message, exact or matched); anything else fails the test as it is. */
export function expectChorusError(promise: Promise<unknown>, code: string, message?: string | RegExp): Promise<void> {
  return expect(promise).rejects.toSatisfy((err: unknown) => {
    if (!(err instanceof ChorusError) || err.code !== code) throw err;
    if (typeof message === 'string' && err.message !== message) throw err;
    if (message instanceof RegExp && !message.test(err.message)) throw err;
    return true;
  });
}

/** A store twin, an in-process broker and a ChatService over them, for one describe block. */
export interface ChatFixture {
  readonly store: SqlStore;
  readonly broker: MemoryBroker;
  readonly chat: ChatService;
  /** The database under the store, for assertions on rows. */
  readonly db: TestStore['db'];
  newUser(prefix?: string): Promise<User>;
  newRoom(owner: User, isPrivate?: boolean): Promise<Room>;
}

/**
 * Opens the fixture before the block's tests and closes it after them (it registers its own
 * beforeAll/afterAll). Its fields are read inside tests, once the block has started.
 */
export function useChatFixture(backend: StoreBackend, options: Partial<Omit<ChatServiceOptions, 'store' | 'broker'>> = {}): ChatFixture {
  let t: TestStore | undefined;
  let broker: MemoryBroker | undefined;
  let chat: ChatService | undefined;
  const opened = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the chat fixture is read before its beforeAll ran');
    return value;
  };
  beforeAll(async () => {
    t = await createTestStore(backend);
    broker = new MemoryBroker();
    chat = new ChatService({ store: t.store, broker, metrics: createMetrics('test'), logger: pino({ level: 'silent' }), maxMessageLength: 100, ...options });
  });
  afterAll(async () => {
    await broker?.close();
    await t?.cleanup();
  });
  const fixture: ChatFixture = {
    get store() {
      return opened(t).store;
    },
    get broker() {
      return opened(broker);
    },
    get chat() {
      return opened(chat);
    },
    get db() {
      return opened(t).db;
    },
    newUser: async (prefix = 'u') => {
      const name = `${prefix}_${tag()}`;
      return fixture.store.createUser({ username: name, email: `${name}@example.test`, passwordHash: 'x' });
    },
    newRoom: (owner, isPrivate = false) => fixture.store.createRoom({ name: `room ${tag()}`, private: isPrivate, createdBy: owner.id }),
  };
  return fixture;
}
