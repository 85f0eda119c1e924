import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectError, randomName, type TestApi, type TestUser } from '../support.js';

export function roomsSuite(getApi: () => TestApi): void {
  let api: TestApi;
  let owner: TestUser;
  let member: TestUser;
  let outsider: TestUser;

  beforeAll(async () => {
    api = getApi();
    [owner, member, outsider] = await Promise.all([api.signup('owner'), api.signup('member'), api.signup('outsider')]);
  });

  const createRoom = async (user: TestUser, body: Record<string, unknown>) => {
    const reply = await api.call('POST', '/api/rooms', { token: user.token, json: body });
    expect(reply.status).toBe(201);
    return reply.body;
  };

  describe('POST /api/rooms', () => {
    it('creates a public room with the creator as its only member', async () => {
      const name = randomName('Lobby ');
      const reply = await api.call('POST', '/api/rooms', { token: owner.token, json: { name } });
      expect(reply.status).toBe(201);
      expect(reply.body).toEqual({
        id: expect.any(String),
        name,
        private: false,
        createdBy: owner.id,
        createdAt: expect.any(String),
        memberCount: 1,
      });
      expect(Number.isNaN(Date.parse(reply.body.createdAt))).toBe(false);
      expect(await api.store.isMember(reply.body.id, owner.id)).toBe(true);
    });

    it('creates a private room', async () => {
      const room = await createRoom(owner, { name: randomName('secret'), private: true });
      expect(room.private).toBe(true);
    });

    it.each([
      ['an empty name', { name: '' }, 'body.name'],
      ['a name over 100 characters', { name: 'n'.repeat(101) }, 'body.name'],
      ['a missing name', {}, 'body.name'],
      ['a non-boolean private flag', { name: 'x', private: 'yes' }, 'body.private'],
      ['a string "true" private flag (no coercion of JSON bodies)', { name: 'x', private: 'true' }, 'body.private'],
      ['an unknown field', { name: 'x', topic: 'y' }, 'body.topic'],
    ])('rejects %s with 400', async (_case, body, field) => {
      const reply = await api.call('POST', '/api/rooms', { token: owner.token, json: body });
      expect(expectError(reply, 400, 'validation_failed')).toContain(field);
    });

    it('rejects a blank name with 400 and creates nothing', async () => {
      const before = (await api.store.listMemberRooms(owner.id)).length;
      expectError(await api.call('POST', '/api/rooms', { token: owner.token, json: { name: '   ' } }), 400, 'bad_request');
      expect((await api.store.listMemberRooms(owner.id)).length).toBe(before);
    });

    it('requires a token', async () => {
      expectError(await api.call('POST', '/api/rooms', { json: { name: 'x' } }), 401, 'unauthorized');
    });
  });

  describe('GET /api/rooms', () => {
    it('pages through public rooms newest first without repeats, hiding private rooms', async () => {
      const created: string[] = [];
      for (let i = 0; i < 5; i++) created.push((await createRoom(member, { name: randomName(`page${i}`) })).id);
      const hidden = await createRoom(member, { name: randomName('hidden'), private: true });

      const seen: Array<{ id: string; createdAt: string; private: boolean }> = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
        const reply = await api.call('GET', `/api/rooms${query}`, { token: outsider.token });
        expect(reply.status).toBe(200);
        expect(reply.body.rooms.length).toBeLessThanOrEqual(2);
        seen.push(...reply.body.rooms);
        cursor = reply.body.nextCursor;
        pages++;
      } while (cursor !== null && pages < 100);

      const ids = seen.map((r) => r.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(expect.arrayContaining(created));
      expect(ids).not.toContain(hidden.id);
      expect(seen.every((r) => r.private === false)).toBe(true);
      // Newest first: our rooms appear in reverse creation order.
      expect(ids.filter((id) => created.includes(id))).toEqual([...created].reverse());
      expect(pages).toBeGreaterThanOrEqual(3);
    });

    it('rejects a bad limit or cursor with 400', async () => {
      expectError(await api.call('GET', '/api/rooms?limit=0', { token: owner.token }), 400, 'validation_failed');
      expectError(await api.call('GET', '/api/rooms?limit=101', { token: owner.token }), 400, 'validation_failed');
      expectError(await api.call('GET', '/api/rooms?limit=ten', { token: owner.token }), 400, 'validation_failed');
      expectError(await api.call('GET', '/api/rooms?cursor=%21%21not-a-cursor', { token: owner.token }), 400, 'bad_request');
    });

    it('requires a token', async () => {
      expectError(await api.call('GET', '/api/rooms'), 401, 'unauthorized');
    });
  });

  describe('GET /api/rooms/:id', () => {
    it('shows public rooms to anyone and private rooms only to members', async () => {
      const open = await createRoom(owner, { name: randomName('open') });
      const secret = await createRoom(owner, { name: randomName('secret'), private: true });
      const seen = await api.call('GET', `/api/rooms/${open.id}`, { token: outsider.token });
      expect(seen.status).toBe(200);
      expect(seen.body).toEqual(open);
      expect((await api.call('GET', `/api/rooms/${secret.id}`, { token: owner.token })).body).toEqual(secret);
      expectError(await api.call('GET', `/api/rooms/${secret.id}`, { token: outsider.token }), 404, 'not_found');
    });

    it('answers 404 for unknown and malformed ids, 401 without a token', async () => {
      expectError(await api.call('GET', `/api/rooms/${randomUUID()}`, { token: owner.token }), 404, 'not_found');
      expectError(await api.call('GET', '/api/rooms/not-a-uuid', { token: owner.token }), 404, 'not_found');
      expectError(await api.call('GET', `/api/rooms/${randomUUID()}`), 401, 'unauthorized');
    });
  });

  describe('join, leave and members', () => {
    it('accepts content-type application/json with an empty body on body-less POSTs', async () => {
      // Many HTTP clients send the JSON content-type on every request, body or not.
      const room = await createRoom(owner, { name: randomName('emptybody') });
      const headers = { 'content-type': 'application/json' };
      const joined = await api.call('POST', `/api/rooms/${room.id}/join`, { token: member.token, raw: '', headers });
      expect(joined.status).toBe(200);
      expect(joined.body).toMatchObject({ id: room.id, memberCount: 2 });
      expect((await api.call('POST', `/api/rooms/${room.id}/leave`, { token: member.token, raw: '', headers })).status).toBe(204);
      // A route that needs a body still says so, as a validation error rather than a parse error.
      expectError(await api.call('POST', `/api/rooms/${room.id}/read`, { token: owner.token, raw: '', headers }), 400, 'validation_failed');
      expectError(await api.call('POST', `/api/rooms/${room.id}/join`, { token: member.token, raw: '{"x":', headers }), 400, 'bad_request');
    });

    it('joins a public room idempotently and leaves it', async () => {
      const room = await createRoom(owner, { name: randomName('club') });
      const joined = await api.call('POST', `/api/rooms/${room.id}/join`, { token: member.token });
      expect(joined.status).toBe(200);
      expect(joined.body).toEqual({ ...room, memberCount: 2 });
      const again = await api.call('POST', `/api/rooms/${room.id}/join`, { token: member.token });
      expect(again.body.memberCount).toBe(2);
      expect(await api.store.isMember(room.id, member.id)).toBe(true);

      const left = await api.call('POST', `/api/rooms/${room.id}/leave`, { token: member.token });
      expect(left.status).toBe(204);
      expect(left.text).toBe('');
      expect(await api.store.isMember(room.id, member.id)).toBe(false);
      // No longer a member of a public room: forbidden.
      expectError(await api.call('POST', `/api/rooms/${room.id}/leave`, { token: member.token }), 403, 'forbidden');
    });

    it('does not let outsiders join or leave private rooms, nor learn that they exist', async () => {
      const secret = await createRoom(owner, { name: randomName('secret'), private: true });
      expectError(await api.call('POST', `/api/rooms/${secret.id}/join`, { token: outsider.token }), 404, 'not_found');
      expectError(await api.call('POST', `/api/rooms/${secret.id}/leave`, { token: outsider.token }), 404, 'not_found');
      expect(await api.store.isMember(secret.id, outsider.id)).toBe(false);
    });

    it('answers 404 for join/leave of unknown or malformed rooms and 401 without a token', async () => {
      for (const action of ['join', 'leave']) {
        expectError(await api.call('POST', `/api/rooms/${randomUUID()}/${action}`, { token: member.token }), 404, 'not_found');
        expectError(await api.call('POST', `/api/rooms/123/${action}`, { token: member.token }), 404, 'not_found');
        expectError(await api.call('POST', `/api/rooms/${randomUUID()}/${action}`), 401, 'unauthorized');
      }
    });

    it('lets a member add someone to a private room, which then becomes visible to them', async () => {
      const secret = await createRoom(owner, { name: randomName('secret'), private: true });
      const added = await api.call('POST', `/api/rooms/${secret.id}/members`, { token: owner.token, json: { userId: member.id } });
      expect(added.status).toBe(200);
      expect(added.body).toEqual({ ...secret, memberCount: 2 });
      expect((await api.call('GET', `/api/rooms/${secret.id}`, { token: member.token })).status).toBe(200);
      // Joining a private room one already belongs to is a no-op.
      expect((await api.call('POST', `/api/rooms/${secret.id}/join`, { token: member.token })).body.memberCount).toBe(2);
    });

    it('answers 404/403/404/400 for adding by outsiders, to unknown users and with bad bodies', async () => {
      const secret = await createRoom(owner, { name: randomName('secret'), private: true });
      const open = await createRoom(owner, { name: randomName('open') });
      const add = (user: TestUser, roomId: string, json: unknown) => api.call('POST', `/api/rooms/${roomId}/members`, { token: user.token, json });

      expectError(await add(outsider, secret.id, { userId: outsider.id }), 404, 'not_found');
      expectError(await add(outsider, open.id, { userId: outsider.id }), 403, 'forbidden');
      expectError(await add(owner, secret.id, { userId: randomUUID() }), 404, 'not_found');
      expectError(await add(owner, randomUUID(), { userId: member.id }), 404, 'not_found');
      expect(expectError(await add(owner, secret.id, { userId: 'me' }), 400, 'validation_failed')).toContain('body.userId');
      expectError(await add(owner, secret.id, {}), 400, 'validation_failed');
      expectError(await add(owner, secret.id, { userId: member.id, role: 'admin' }), 400, 'validation_failed');
      expectError(await api.call('POST', `/api/rooms/${secret.id}/members`, { json: { userId: member.id } }), 401, 'unauthorized');
      expect(await api.store.isMember(secret.id, outsider.id)).toBe(false);
    });
  });

  describe('GET /api/me/rooms and POST /api/rooms/:id/read', () => {
    it('lists only the caller rooms with unread counts that follow reads', async () => {
      const room = await createRoom(owner, { name: randomName('unread') });
      await api.call('POST', `/api/rooms/${room.id}/join`, { token: member.token });
      for (const text of ['one', 'two', 'three']) {
        expect((await api.call('POST', `/api/rooms/${room.id}/messages`, { token: owner.token, json: { text } })).status).toBe(201);
      }
      const mine = async (user: TestUser) => {
        const reply = await api.call('GET', '/api/me/rooms', { token: user.token });
        expect(reply.status).toBe(200);
        return reply.body.rooms as Array<Record<string, unknown> & { id: string; lastSeq: number; lastReadSeq: number; unread: number }>;
      };

      const before = (await mine(member)).find((r) => r.id === room.id);
      expect(before).toMatchObject({ id: room.id, name: room.name, private: false, memberCount: 2 });
      const lastSeq = before!.lastSeq;
      expect(lastSeq).toBeGreaterThanOrEqual(3);
      expect(before!.unread).toBe(lastSeq - before!.lastReadSeq);
      expect(before!.unread).toBeGreaterThanOrEqual(3);

      const read = await api.call('POST', `/api/rooms/${room.id}/read`, { token: member.token, json: { seq: lastSeq - 1 } });
      expect(read.status).toBe(200);
      expect(read.body).toEqual({ lastReadSeq: lastSeq - 1 });
      expect((await mine(member)).find((r) => r.id === room.id)).toMatchObject({ lastReadSeq: lastSeq - 1, unread: 1 });

      // Never backward; clamped to the last seq.
      const back = await api.call('POST', `/api/rooms/${room.id}/read`, { token: member.token, json: { seq: 1 } });
      expect(back.body).toEqual({ lastReadSeq: lastSeq - 1 });
      const far = await api.call('POST', `/api/rooms/${room.id}/read`, { token: member.token, json: { seq: lastSeq + 100 } });
      expect(far.body).toEqual({ lastReadSeq: lastSeq });
      expect((await mine(member)).find((r) => r.id === room.id)).toMatchObject({ lastReadSeq: lastSeq, unread: 0 });

      expect((await mine(outsider)).map((r) => r.id)).not.toContain(room.id);
    });

    it('answers 400/403/404/401 for bad reads', async () => {
      const open = await createRoom(owner, { name: randomName('open') });
      const secret = await createRoom(owner, { name: randomName('secret'), private: true });
      const read = (user: TestUser | null, roomId: string, json: unknown) =>
        api.call('POST', `/api/rooms/${roomId}/read`, { ...(user ? { token: user.token } : {}), json });
      expectError(await read(owner, open.id, { seq: -1 }), 400, 'validation_failed');
      expectError(await read(owner, open.id, { seq: '1' }), 400, 'validation_failed');
      expectError(await read(owner, open.id, { seq: 1.5 }), 400, 'validation_failed');
      expectError(await read(owner, open.id, {}), 400, 'validation_failed');
      expectError(await read(outsider, open.id, { seq: 1 }), 403, 'forbidden');
      expectError(await read(outsider, secret.id, { seq: 1 }), 404, 'not_found');
      expectError(await read(owner, randomUUID(), { seq: 1 }), 404, 'not_found');
      expectError(await read(null, open.id, { seq: 1 }), 401, 'unauthorized');
      expectError(await api.call('GET', '/api/me/rooms'), 401, 'unauthorized');
    });
  });
}
