import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { ChorusError } from '../src/errors.js';
import { storeBackends } from '../src/testing/index.js';
import { actor, useChatFixture } from './support/chat-fixture.js';

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
  const fx = useChatFixture(backend);

  const { newUser, newRoom } = fx;

  it('answers concurrent checks from one query, each with its own answer', async () => {
    const owner = await newUser();
    const members = await Promise.all(Array.from({ length: 4 }, newUser));
    const outsider = await newUser();
    const open = await newRoom(owner);
    const secret = await newRoom(owner, true);
    for (const m of members) await fx.store.addMember(open.id, m.id);
    const reads = vi.spyOn(fx.store, 'getRoomsForUsers');
    try {
      const checks = [
        ...members.flatMap((m) => [fx.chat.requireMember(actor(m), open.id), fx.chat.requireMember(actor(m), open.id)]),
        fx.chat.requireMember(actor(outsider), open.id),
        fx.chat.requireMember(actor(outsider), secret.id),
        fx.chat.requireMember(actor(owner), secret.id),
        fx.chat.requireMember(actor(owner), randomUUID()),
        fx.chat.requireMember(actor(owner), 'not-a-uuid'),
        fx.chat.getVisibleRoom(actor(outsider), open.id),
      ];
      expect(await Promise.all(checks.map(outcome))).toEqual([...Array(8).fill('ok'), 'forbidden', 'not_found', 'ok', 'not_found', 'not_found', 'ok']);
      expect(reads).toHaveBeenCalledTimes(1);
      // The same pair is read once per query.
      expect(reads.mock.calls[0]![0]).toHaveLength(9);
      const [a, b] = await Promise.all([fx.chat.requireMember(actor(members[0]!), open.id), fx.chat.requireMember(actor(members[0]!), open.id)]);
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
    await fx.store.addMember(room.id, bob.id);
    const inFlight = outcome(fx.chat.requireMember(actor(bob), room.id));
    await fx.store.removeMember(room.id, bob.id);
    const after = outcome(fx.chat.requireMember(actor(bob), room.id));
    expect(await inFlight).toMatch(/^(ok|forbidden)$/);
    expect(await after).toBe('forbidden');
  });

  it('reads a history page only for those the access check lets in, and reports the check first', async () => {
    const owner = await newUser();
    const outsider = await newUser();
    const open = await newRoom(owner);
    const secret = await newRoom(owner, true);
    await fx.chat.send(actor(owner), open.id, 'first', 'http');
    expect((await fx.chat.history(actor(owner), open.id, { limit: 10 })).map((m) => m.text)).toContain('first');
    expect(await outcome(fx.chat.history(actor(outsider), open.id, { limit: 10 }))).toBe('forbidden');
    expect(await outcome(fx.chat.history(actor(outsider), secret.id, { limit: 10 }))).toBe('not_found');
    // A page that fails: its error reaches members only; others get the check's answer.
    expect(await outcome(fx.chat.history(actor(owner), open.id, { limit: 0 }))).toBe('bad_request');
    expect(await outcome(fx.chat.history(actor(outsider), open.id, { limit: 0 }))).toBe('forbidden');
    expect(await outcome(fx.chat.history(actor(outsider), secret.id, { limit: 0 }))).toBe('not_found');
    const pages = vi.spyOn(fx.store, 'listMessages').mockRejectedValue(new ChorusError('unavailable', 'database unavailable'));
    try {
      expect(await outcome(fx.chat.history(actor(outsider), secret.id, { limit: 10 }))).toBe('not_found');
      expect(await outcome(fx.chat.history(actor(owner), open.id, { limit: 10 }))).toBe('unavailable');
      // A refused request costs its check, never a page read.
      pages.mockClear();
      expect(await outcome(fx.chat.history(actor(outsider), open.id, { limit: 200 }))).toBe('forbidden');
      expect(await outcome(fx.chat.history(actor(outsider), secret.id, { limit: 200 }))).toBe('not_found');
      expect(pages).not.toHaveBeenCalled();
    } finally {
      pages.mockRestore();
    }
  });

  it('fails every check of a batch alike when the store is unavailable, then recovers', async () => {
    const owner = await newUser();
    const room = await newRoom(owner);
    const reads = vi.spyOn(fx.store, 'getRoomsForUsers').mockRejectedValueOnce(new ChorusError('unavailable', 'database unavailable'));
    try {
      const outcomes = await Promise.all([fx.chat.requireMember(actor(owner), room.id), fx.chat.requireMember(actor(owner), room.id)].map(outcome));
      expect(outcomes).toEqual(['unavailable', 'unavailable']);
      expect(await outcome(fx.chat.requireMember(actor(owner), room.id))).toBe('ok');
    } finally {
      reads.mockRestore();
    }
  });
});
