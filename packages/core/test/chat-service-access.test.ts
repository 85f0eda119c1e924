import { randomBytes, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemoryBroker } from '../src/broker/memory-broker.js';
import type { Room, User } from '../src/domain/types.js';
import { ChorusError } from '../src/errors.js';
import { ChatService } from '../src/messaging/chat-service.js';
import { createMetrics } from '../src/observability/metrics.js';
import type { SqlStore } from '../src/store/sql-store.js';
import { createTestStore, storeBackends, type TestStore } from '../src/testing/index.js';

const tag = () => randomBytes(5).toString('hex');

/** The error code a check ends with, or 'ok'. */
const outcome = (check: Promise<unknown>): Promise<string> =>
  check.then(
    () => 'ok',
    (err: unknown) => {
      if (err instanceof ChorusError) return err.code;
      throw err;
    },
  );

// Room access checks (a SUBSCRIBE each during a connect storm) share queries.
describe.each(storeBackends())('batched room access checks (%s)', (backend) => {
  let t: TestStore;
  let store: SqlStore;
  let broker: MemoryBroker;
  let chat: ChatService;

  beforeAll(async () => {
    t = await createTestStore(backend);
    store = t.store;
    broker = new MemoryBroker();
    chat = new ChatService({ store, broker, metrics: createMetrics('test'), logger: pino({ level: 'silent' }), maxMessageLength: 100 });
  });
  afterAll(async () => {
    await broker?.close();
    await t?.cleanup();
  });

  const newUser = async (): Promise<User> => {
    const name = `u_${tag()}`;
    return store.createUser({ username: name, email: `${name}@example.test`, passwordHash: 'x' });
  };
  const newRoom = (owner: User, isPrivate = false): Promise<Room> => store.createRoom({ name: `room ${tag()}`, private: isPrivate, createdBy: owner.id });
  const actor = (u: User) => ({ id: u.id, username: u.username });

  it('answers concurrent checks from one query, each with its own answer', async () => {
    const owner = await newUser();
    const members = await Promise.all(Array.from({ length: 4 }, newUser));
    const outsider = await newUser();
    const open = await newRoom(owner);
    const secret = await newRoom(owner, true);
    for (const m of members) await store.addMember(open.id, m.id);
    const reads = vi.spyOn(store, 'getRoomsForUsers');
    try {
      const checks = [
        ...members.flatMap((m) => [chat.requireMember(actor(m), open.id), chat.requireMember(actor(m), open.id)]),
        chat.requireMember(actor(outsider), open.id),
        chat.requireMember(actor(outsider), secret.id),
        chat.requireMember(actor(owner), secret.id),
        chat.requireMember(actor(owner), randomUUID()),
        chat.requireMember(actor(owner), 'not-a-uuid'),
        chat.getVisibleRoom(actor(outsider), open.id),
      ];
      expect(await Promise.all(checks.map(outcome))).toEqual([...Array(8).fill('ok'), 'forbidden', 'not_found', 'ok', 'not_found', 'not_found', 'ok']);
      expect(reads).toHaveBeenCalledTimes(1);
      // The same pair is read once per query.
      expect(reads.mock.calls[0]![0]).toHaveLength(9);
      const [a, b] = await Promise.all([chat.requireMember(actor(members[0]!), open.id), chat.requireMember(actor(members[0]!), open.id)]);
      expect(a).toEqual(b);
      expect(a).not.toBe(b);
      expect(a).toMatchObject({ id: open.id, memberCount: 5 });
    } finally {
      reads.mockRestore();
    }
  });

  it('sees a membership change made before the check, even with a read in flight', async () => {
    const owner = await newUser();
    const bob = await newUser();
    const room = await newRoom(owner);
    await store.addMember(room.id, bob.id);
    const inFlight = outcome(chat.requireMember(actor(bob), room.id));
    await store.removeMember(room.id, bob.id);
    const after = outcome(chat.requireMember(actor(bob), room.id));
    expect(await inFlight).toMatch(/^(ok|forbidden)$/);
    expect(await after).toBe('forbidden');
  });

  it('fails every check of a batch alike when the store is unavailable, then recovers', async () => {
    const owner = await newUser();
    const room = await newRoom(owner);
    const reads = vi.spyOn(store, 'getRoomsForUsers').mockRejectedValueOnce(new ChorusError('unavailable', 'database unavailable'));
    try {
      const outcomes = await Promise.all([chat.requireMember(actor(owner), room.id), chat.requireMember(actor(owner), room.id)].map(outcome));
      expect(outcomes).toEqual(['unavailable', 'unavailable']);
      expect(await outcome(chat.requireMember(actor(owner), room.id))).toBe('ok');
    } finally {
      reads.mockRestore();
    }
  });
});
