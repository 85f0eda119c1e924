import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Room, User } from '../src/domain/types.js';
import { ChorusError } from '../src/errors.js';
import { SEARCH_USERS_SQL } from '../src/store/direct-rows.js';
import type { SqlStore } from '../src/store/sql-store.js';
import { createTestStore, storeBackends, type TestStore } from '../src/testing/index.js';

const tag = () => randomBytes(5).toString('hex');

describe.each(storeBackends())('Store contract: direct rooms, user search, blocks (%s)', (backend) => {
  let t: TestStore;
  let store: SqlStore;

  beforeAll(async () => {
    t = await createTestStore(backend);
    store = t.store;
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  async function newUser(prefix = 'user'): Promise<User> {
    const name = `${prefix}_${tag()}`;
    return store.createUser({ username: name, email: `${name}@example.test`, passwordHash: `hash-${name}` });
  }

  describe('openDirectRoom', () => {
    it('creates the private direct room of two users once, with both as members, and finds it from either side', async () => {
      const [a, b] = [await newUser('dm_a'), await newUser('dm_b')];
      const first = await store.openDirectRoom(a.id, b.id);
      expect(first).toMatchObject({ created: true, room: { private: true, kind: 'direct', memberCount: 2, createdBy: a.id } });
      const room = first!.room;
      expect(await store.listMemberIds(room.id)).toEqual([a.id, b.id].sort());
      expect(await store.openDirectRoom(a.id, b.id)).toEqual({ room, created: false });
      expect(await store.openDirectRoom(b.id, a.id.toUpperCase())).toEqual({ room, created: false });
      expect(await store.getRoom(room.id)).toEqual(room);
      // No join messages: the conversation starts empty.
      expect(await store.lastSeq(room.id)).toBe(0);
    });

    it('answers null for an unknown or malformed user and bad_request for a user and themselves', async () => {
      const a = await newUser();
      expect(await store.openDirectRoom(a.id, randomUUID())).toBeNull();
      expect(await store.openDirectRoom(a.id, 'nope')).toBeNull();
      await expect(store.openDirectRoom(a.id, a.id)).rejects.toSatisfy((err: unknown) => err instanceof ChorusError && err.code === 'bad_request');
    });

    it('lists a direct room among the member rooms with the other person, seen from each side; other rooms have no `direct`', async () => {
      const [a, b] = [await newUser('list_a'), await newUser('list_b')];
      const { room } = (await store.openDirectRoom(a.id, b.id))!;
      const group = await store.createRoom({ name: `group ${tag()}`, private: false, createdBy: a.id });
      const mine = await store.listMemberRooms(a.id);
      expect(mine.find((r) => r.id === room.id)).toMatchObject({ kind: 'direct', direct: { userId: b.id, username: b.username }, unread: 0 });
      expect(mine.find((r) => r.id === group.id)).not.toHaveProperty('direct');
      expect(mine.find((r) => r.id === group.id)).not.toHaveProperty('kind');
      expect((await store.listMemberRooms(b.id)).find((r) => r.id === room.id)?.direct).toEqual({ userId: a.id, username: a.username });
    });

    it('yields ONE room when many first uses race (from both sides, over concurrent connections)', async () => {
      const [a, b] = [await newUser('race_a'), await newUser('race_b')];
      const results = await Promise.all(Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? store.openDirectRoom(a.id, b.id) : store.openDirectRoom(b.id, a.id))));
      const ids = new Set(results.map((r) => r!.room.id));
      expect(ids.size).toBe(1);
      expect(results.filter((r) => r!.created)).toHaveLength(1);
      const { rows } = await t.db.query<{ n: string | number }>(
        "SELECT count(*) AS n FROM rooms WHERE kind = 'direct' AND id IN (SELECT room_id FROM memberships WHERE user_id = $1)",
        [a.id],
      );
      expect(Number(rows[0]!.n)).toBe(1);
      expect((await store.getRoom([...ids][0]!))?.memberCount).toBe(2);
    });
  });

  describe('getDirectState and blocks', () => {
    let a: User;
    let b: User;
    let room: Room;
    beforeAll(async () => {
      [a, b] = [await newUser('blk_a'), await newUser('blk_b')];
      room = (await store.openDirectRoom(a.id, b.id))!.room;
    });

    it('tells a member the peer and the blocks between them; null for others and other rooms', async () => {
      expect(await store.getDirectState(room.id, a.id)).toEqual({ peer: { userId: b.id, username: b.username }, blockedByMe: false, blocksMe: false });
      const c = await newUser();
      expect(await store.getDirectState(room.id, c.id)).toBeNull();
      const group = await store.createRoom({ name: `g ${tag()}`, private: false, createdBy: a.id });
      expect(await store.getDirectState(group.id, a.id)).toBeNull();
    });

    it('blocks, lists, unblocks (idempotent), and a block refuses the blocked sender inside the group commit', async () => {
      expect(await store.blockUser(a.id, b.id, 10)).toBe('added');
      expect(await store.blockUser(a.id, b.id, 10)).toBe('exists');
      expect(await store.isBlocked(a.id, b.id)).toBe(true);
      expect(await store.isBlocked(b.id, a.id)).toBe(false);
      expect(await store.listBlocks(a.id, 10)).toEqual([{ id: b.id, username: b.username }]);
      expect(await store.getDirectState(room.id, b.id)).toMatchObject({ blockedByMe: false, blocksMe: true });
      expect(await store.getDirectState(room.id, a.id)).toMatchObject({ blockedByMe: true, blocksMe: false });
      // b cannot write into the DM; a (the blocker) still can; b still writes to other rooms.
      const group = await store.createRoom({ name: `g ${tag()}`, private: false, createdBy: b.id });
      const sent = await store.appendMemberMessages([
        { roomId: room.id, senderId: b.id, text: 'from blocked' },
        { roomId: room.id, senderId: a.id, text: 'from blocker' },
        { roomId: group.id, senderId: b.id, text: 'elsewhere' },
      ]);
      expect(sent.map((m) => m?.text ?? null)).toEqual([null, 'from blocker', 'elsewhere']);
      expect(await store.unblockUser(a.id, b.id)).toBe(true);
      expect(await store.unblockUser(a.id, b.id)).toBe(false);
      expect((await store.appendMemberMessages([{ roomId: room.id, senderId: b.id, text: 'again' }]))[0]?.text).toBe('again');
    });

    it('bounds the blocks of one user, refuses themselves and unknown users', async () => {
      const me = await newUser();
      const others = [await newUser(), await newUser(), await newUser()];
      expect(await store.blockUser(me.id, others[0]!.id, 2)).toBe('added');
      expect(await store.blockUser(me.id, others[1]!.id, 2)).toBe('added');
      expect(await store.blockUser(me.id, others[2]!.id, 2)).toBe('full');
      expect(await store.blockUser(me.id, randomUUID(), 2)).toBe('unknown');
      expect(await store.blockUser(me.id, 'x', 2)).toBe('unknown');
      await expect(store.blockUser(me.id, me.id, 2)).rejects.toSatisfy((err: unknown) => err instanceof ChorusError && err.code === 'bad_request');
      expect(await store.listBlocks(me.id, 1)).toHaveLength(1);
    });
  });

  describe('searchUsers', () => {
    it('matches a case-insensitive username prefix, ordered, bounded, id and username only', async () => {
      const stem = `Srch${tag()}`;
      const users = [await newUser(`${stem}_b`), await newUser(`${stem}_a`), await newUser(`${stem}x`)];
      const found = await store.searchUsers(stem.toUpperCase(), 10);
      expect(found.map((u) => u.username)).toEqual([users[1]!.username, users[0]!.username, users[2]!.username]);
      expect(Object.keys(found[0]!).sort()).toEqual(['id', 'username']);
      expect(await store.searchUsers(stem, 2)).toHaveLength(2);
      expect(await store.searchUsers(`x${stem}`, 10)).toEqual([]);
    });

    it('treats LIKE wildcards in the query as plain characters', async () => {
      const stem = `wild${tag()}`;
      await newUser(`${stem}`); // stem_<tag>
      await newUser(`${stem}X`); // stemX_<tag>
      // '_' would match any one character, '%' anything: escaped, they match only themselves.
      expect((await store.searchUsers(`${stem}_`, 10)).map((u) => u.username)).toEqual([expect.stringMatching(new RegExp(`^${stem}_`))]);
      expect(await store.searchUsers(`${stem}%`, 10)).toEqual([]);
      expect(await store.searchUsers('%', 10)).toEqual([]);
      expect(await store.searchUsers('\\', 10)).toEqual([]);
    });

    it('is an index range scan of users_username_prefix_idx', async () => {
      await t.db.transaction(async (tx) => {
        await tx.query('SET LOCAL enable_seqscan = off');
        await tx.query('SET LOCAL enable_bitmapscan = off');
        const { rows } = await tx.query<Record<string, string>>(`EXPLAIN ${SEARCH_USERS_SQL.replace('$1', "'abc%'").replace('$2', '20')}`);
        const plan = rows.map((r) => Object.values(r)[0]).join('\n');
        expect(plan).toMatch(/users_username_prefix_idx/);
        expect(plan).not.toMatch(/Sort/);
        expect(plan).toMatch(/Index Cond:.*>=.*'abc'.*<.*'abd'/);
      });
    });
  });
});
