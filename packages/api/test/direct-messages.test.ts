import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANNOT_MESSAGE, createLogger, migrate, PgDatabase, SqlStore } from '@chorus/core';
import { createTestDatabase } from '@chorus/core/testing';
import { startTestApi, storeBackends, type TestApi, type TestUser } from './support.js';

const silent = createLogger({ level: 'silent', name: 'dm-test', pretty: false });

describe.each(storeBackends())('direct messages over REST (%s)', (backend) => {
  let api: TestApi;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;

  beforeAll(async () => {
    api = await startTestApi(backend);
    [alice, bob, carol] = await Promise.all([api.signup('alice'), api.signup('bob'), api.signup('carol')]);
  });
  afterAll(async () => {
    await api?.close();
  });

  it('opens THE room of two users, lists it with the other person, and refuses yourself and unknown users', async () => {
    const opened = await api.call('POST', '/api/dms', { token: alice.token, json: { userId: bob.id } });
    expect(opened.status).toBe(200);
    expect(opened.body).toMatchObject({ kind: 'direct', private: true, memberCount: 2 });
    const again = await api.call('POST', '/api/dms', { token: bob.token, json: { userId: alice.id } });
    expect(again.body).toEqual(opened.body);
    const mine = (await api.call('GET', '/api/me/rooms', { token: alice.token })).body.rooms as Array<{ id: string; direct?: unknown }>;
    expect(mine.find((r) => r.id === opened.body.id)?.direct).toEqual({ userId: bob.id, username: bob.username });
    expect((await api.call('POST', '/api/dms', { token: alice.token, json: { userId: alice.id } })).status).toBe(400);
    const unknown = await api.call('POST', '/api/dms', { token: alice.token, json: { userId: '00000000-0000-4000-8000-000000000000' } });
    expect(unknown.status).toBe(404);
    expect((await api.call('POST', '/api/dms', { token: alice.token, json: { userId: 'nope' } })).status).toBe(400);
    // Nobody else gets in.
    const add = await api.call('POST', `/api/rooms/${opened.body.id}/members`, { token: alice.token, json: { userId: carol.id } });
    expect(add.status).toBe(403);
    expect(add.body.error.message).toMatch(/exactly two members/);
  });

  it('finds users by prefix with id and username only, bounded, rate limited per user', async () => {
    const found = await api.call('GET', `/api/users?q=${encodeURIComponent(bob.username.toUpperCase())}`, { token: alice.token });
    expect(found.body).toEqual({ users: [{ id: bob.id, username: bob.username }] });
    expect(found.text).not.toContain('@');
    expect((await api.call('GET', '/api/users?q=', { token: alice.token })).status).toBe(400);
    expect((await api.call('GET', `/api/users?q=${'a'.repeat(33)}`, { token: alice.token })).status).toBe(400);
    expect((await api.call('GET', '/api/users?q=a&limit=21', { token: alice.token })).status).toBe(400);
    expect((await api.call('GET', '/api/users?q=a')).status).toBe(401);
    let status = 200;
    for (let i = 0; i < 40 && status === 200; i++) status = (await api.call('GET', '/api/users?q=zz', { token: carol.token })).status;
    expect(status).toBe(429);
  });

  it('blocks: the blocked user cannot write or open a DM (neutral 403); the blocker sees their messages hidden', async () => {
    const [dan, erin] = await Promise.all([api.signup('dan'), api.signup('erin')]);
    const room = (await api.call('POST', '/api/dms', { token: dan.token, json: { userId: erin.id } })).body as { id: string };
    const said = await api.call('POST', `/api/rooms/${room.id}/messages`, { token: erin.token, json: { text: 'hello dan' } });
    expect(said.status).toBe(201);
    expect((await api.call('PUT', `/api/me/blocks/${erin.id}`, { token: dan.token })).status).toBe(204);
    expect((await api.call('GET', '/api/me/blocks', { token: dan.token })).body).toEqual({ users: [{ id: erin.id, username: erin.username }] });
    const refused = await api.call('POST', `/api/rooms/${room.id}/messages`, { token: erin.token, json: { text: 'still there?' } });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({ code: 'forbidden', message: CANNOT_MESSAGE });
    const reopen = await api.call('POST', '/api/dms', { token: erin.token, json: { userId: dan.id } });
    expect(reopen.status).toBe(403);
    expect(reopen.body.error.message).toBe(CANNOT_MESSAGE);
    const history = (await api.call('GET', `/api/rooms/${room.id}/messages`, { token: dan.token })).body.messages as Array<{ id: string; text: string; hidden?: true }>;
    expect(history.find((m) => m.id === said.body.id)).toMatchObject({ text: '', hidden: true });
    const theirs = (await api.call('GET', `/api/rooms/${room.id}/messages`, { token: erin.token })).body.messages as Array<{ id: string; text: string }>;
    expect(theirs.find((m) => m.id === said.body.id)?.text).toBe('hello dan');
    expect((await api.call('DELETE', `/api/me/blocks/${erin.id}`, { token: dan.token })).status).toBe(204);
    expect((await api.call('POST', `/api/rooms/${room.id}/messages`, { token: erin.token, json: { text: 'back' } })).status).toBe(201);
    expect((await api.call('PUT', `/api/me/blocks/${dan.id}`, { token: dan.token })).status).toBe(400);
    expect((await api.call('PUT', '/api/me/blocks/00000000-0000-4000-8000-000000000000', { token: dan.token })).status).toBe(404);
  });
});

describe.runIf(process.env['DATABASE_URL'])('direct room creation raced through two api instances at Postgres', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const dbs: PgDatabase[] = [];
  const apis: TestApi[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    for (let i = 0; i < 2; i++) dbs.push(new PgDatabase({ connectionString: database.url, max: 8, logger: silent }));
    await migrate(dbs[0]!, silent);
    for (const db of dbs) apis.push(await startTestApi('postgres', { store: new SqlStore(db) }));
  });
  afterAll(async () => {
    for (const api of apis) await api.close();
    for (const db of dbs) await db.close();
    await database?.drop();
  });

  it('yields one room for many concurrent first uses from both users on both instances', async () => {
    const [a, b] = [await apis[0]!.signup('race_a'), await apis[1]!.signup('race_b')];
    const replies = await Promise.all(
      Array.from({ length: 32 }, (_, i) => {
        const [me, other] = i % 2 === 0 ? [a, b] : [b, a];
        return apis[i % 4 < 2 ? 0 : 1]!.call('POST', '/api/dms', { token: me.token, json: { userId: other.id } });
      }),
    );
    expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200));
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    const { rows } = await dbs[0]!.query<{ n: string }>("SELECT count(*) AS n FROM rooms WHERE kind = 'direct'");
    expect(Number(rows[0]!.n)).toBe(1);
  });
});
