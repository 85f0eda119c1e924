import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, startTestApi, type TestApi, type TestUser } from './support.js';

/**
 * Moderation over real HTTP, by role: owner, moderator, member, banned user and non-member
 * (access-matrix.test.ts covers every route for the owner, a member and outsiders).
 */
describe('room moderation routes', () => {
  let api: TestApi;
  let owner: TestUser;
  let mod: TestUser;
  let member: TestUser;
  let outsider: TestUser;

  beforeAll(async () => {
    api = await startTestApi('pglite');
    [owner, mod, member, outsider] = [await api.signup('owner'), await api.signup('mod'), await api.signup('member'), await api.signup('outsider')];
  });
  afterAll(async () => {
    await api?.close();
  });

  async function room(): Promise<string> {
    const id = (await api.call('POST', '/api/rooms', { token: owner.token, json: { name: 'moderated' } })).body.id as string;
    for (const u of [mod, member]) expect((await api.call('POST', `/api/rooms/${id}/join`, { token: u.token })).status).toBe(200);
    const promoted = await api.call('PUT', `/api/rooms/${id}/members/${mod.id}/role`, { token: owner.token, json: { role: 'moderator' } });
    expect(promoted.status, promoted.text).toBe(200);
    return id;
  }
  const send = (user: TestUser, id: string, text: string) => api.call('POST', `/api/rooms/${id}/messages`, { token: user.token, json: { text } });

  it('answers each role its standing; moderators moderate members, not the owner or each other', async () => {
    const id = await room();
    expect((await api.call('GET', `/api/rooms/${id}/settings`, { token: mod.token })).body).toMatchObject({ role: 'moderator', name: 'moderated', topic: '', announcement: false, slowModeSeconds: 0, version: 0, timedOutUntil: null });
    expect((await api.call('GET', `/api/rooms/${id}/settings`, { token: outsider.token })).body.role).toBeNull();
    const members = (await api.call('GET', `/api/rooms/${id}/members`, { token: member.token })).body.members;
    expect(members.map((m: { role: string }) => m.role)).toEqual(['owner', 'moderator', 'member']);
    expectError(await api.call('DELETE', `/api/rooms/${id}/members/${owner.id}`, { token: mod.token }), 403, 'forbidden');
    expectError(await api.call('PUT', `/api/rooms/${id}/members/${member.id}/role`, { token: mod.token, json: { role: 'moderator' } }), 403, 'forbidden');
    expectError(await api.call('PATCH', `/api/rooms/${id}/settings`, { token: mod.token, json: { name: 'mine now' } }), 403, 'forbidden');
    expectError(await api.call('DELETE', `/api/rooms/${id}`, { token: mod.token }), 403, 'forbidden');
    expectError(await api.call('PUT', `/api/rooms/${id}/members/${member.id}/role`, { token: owner.token, json: { role: 'owner' } }), 400, 'validation_failed');
    expect((await api.call('GET', `/api/rooms/${id}/moderation-log`, { token: mod.token })).status).toBe(200);
    expectError(await api.call('GET', `/api/rooms/${id}/moderation-log`, { token: member.token }), 403, 'forbidden');
    expectError(await api.call('GET', `/api/rooms/${id}/moderation-log?limit=101`, { token: mod.token }), 400, 'validation_failed');
  });

  it('a kicked member is refused at once and may rejoin; a banned one may not until unbanned', async () => {
    const id = await room();
    expect((await api.call('DELETE', `/api/rooms/${id}/members/${member.id}`, { token: mod.token })).status).toBe(204);
    expectError(await send(member, id, 'still here?'), 403, 'forbidden');
    expectError(await api.call('GET', `/api/rooms/${id}/messages`, { token: member.token }), 403, 'forbidden');
    expect((await api.call('POST', `/api/rooms/${id}/join`, { token: member.token })).status).toBe(200);
    expect((await api.call('PUT', `/api/rooms/${id}/bans/${member.id}`, { token: mod.token })).status).toBe(204);
    expectError(await api.call('GET', `/api/rooms/${id}/messages`, { token: member.token }), 403, 'forbidden');
    expectError(await api.call('POST', `/api/rooms/${id}/join`, { token: member.token }), 403, 'forbidden');
    expectError(await api.call('POST', `/api/rooms/${id}/members`, { token: owner.token, json: { userId: member.id } }), 403, 'forbidden');
    // The banned user cannot moderate, read the bans or the log.
    expectError(await api.call('GET', `/api/rooms/${id}/bans`, { token: member.token }), 403, 'forbidden');
    const bans = (await api.call('GET', `/api/rooms/${id}/bans`, { token: mod.token })).body.bans;
    expect(bans).toEqual([expect.objectContaining({ userId: member.id, bannedBy: mod.id })]);
    expect((await api.call('DELETE', `/api/rooms/${id}/bans/${member.id}`, { token: mod.token })).status).toBe(204);
    expect((await api.call('POST', `/api/rooms/${id}/join`, { token: member.token })).status).toBe(200);
    const log = (await api.call('GET', `/api/rooms/${id}/moderation-log`, { token: owner.token })).body.entries;
    expect(log.map((e: { action: string }) => e.action)).toEqual(['unban', 'ban', 'kick', 'role']);
  });

  it('slow mode answers 429 rate_limited with Retry-After; timeouts 403 with Retry-After; announcement rooms 403 for members', async () => {
    const id = await room();
    const slowOn = await api.call('PATCH', `/api/rooms/${id}/settings`, { token: mod.token, json: { slowModeSeconds: 60 } });
    expect([slowOn.status, slowOn.body.slowModeSeconds, slowOn.body.version]).toEqual([200, 60, 1]);
    expect((await send(member, id, 'one')).status).toBe(201);
    const slow = await send(member, id, 'two');
    expectError(slow, 429, 'rate_limited');
    expect(Number(slow.headers.get('retry-after'))).toBeGreaterThanOrEqual(58);
    expect((await send(mod, id, 'moderators are exempt')).status).toBe(201);
    expect((await api.call('PATCH', `/api/rooms/${id}/settings`, { token: mod.token, json: { slowModeSeconds: 0 } })).status).toBe(200);
    expect((await send(member, id, 'free again')).status).toBe(201);

    expect((await api.call('PUT', `/api/rooms/${id}/timeouts/${member.id}`, { token: mod.token, json: { minutes: 10 } })).status).toBe(200);
    const timedOut = await send(member, id, 'hello?');
    expectError(timedOut, 403, 'forbidden');
    expect(Number(timedOut.headers.get('retry-after'))).toBeGreaterThan(590);
    expectError(await api.call('PUT', `/api/rooms/${id}/timeouts/${member.id}`, { token: mod.token, json: { minutes: 10_081 } }), 400, 'validation_failed');
    expect((await api.call('PUT', `/api/rooms/${id}/timeouts/${member.id}`, { token: mod.token, json: { minutes: 0 } })).body).toEqual({ until: null });

    expect((await api.call('PATCH', `/api/rooms/${id}/settings`, { token: owner.token, json: { announcement: true, topic: 'news only' } })).body).toMatchObject({ announcement: true, topic: 'news only' });
    expectError(await send(member, id, 'can I talk?'), 403, 'forbidden');
    expect((await send(mod, id, 'announcement')).status).toBe(201);
    expectError(await api.call('PATCH', `/api/rooms/${id}/settings`, { token: owner.token, json: { topic: 'a\u2066b' } }), 400, 'bad_request');
  });

  it('the owner deletes the room: gone for everyone', async () => {
    const id = await room();
    expect((await send(member, id, 'last words')).status).toBe(201);
    expect((await api.call('DELETE', `/api/rooms/${id}`, { token: owner.token })).status).toBe(204);
    expectError(await api.call('GET', `/api/rooms/${id}`, { token: member.token }), 404, 'not_found');
    expectError(await send(member, id, 'hello?'), 404, 'not_found');
    expect((await api.call('GET', '/api/me/rooms', { token: member.token })).body.rooms.map((r: { id: string }) => r.id)).not.toContain(id);
  });
});
