import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, startTestApi, storeBackends, type TestApi, type TestUser } from './support.js';

// The account routes over real HTTP: a revoked token is refused by every route at once.
describe.each(storeBackends())('account lifecycle over REST (%s)', (backend) => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi(backend);
  });
  afterAll(async () => {
    await api?.close();
  });

  const login = async (user: TestUser, password = user.password) => api.call('POST', '/api/auth/login', { json: { login: user.username, password } });

  it('log out everywhere: every token issued before is refused (401), a new login works', async () => {
    const alice = await api.signup('alice');
    const second = (await login(alice)).body.token as string;
    expect((await api.call('GET', '/api/me', { token: second })).status).toBe(200);

    const out = await api.call('POST', '/api/me/logout-all', { token: alice.token });
    expect(out.status, out.text).toBe(204);
    for (const token of [alice.token, second]) {
      expectError(await api.call('GET', '/api/me', { token }), 401, 'unauthorized');
      expectError(await api.call('GET', '/api/me/rooms', { token }), 401, 'unauthorized');
      expectError(await api.call('POST', '/api/me/logout-all', { token }), 401, 'unauthorized');
    }
    const again = await login(alice);
    expect(again.status).toBe(200);
    expect((await api.call('GET', '/api/me', { token: again.body.token })).body).toMatchObject({ id: alice.id });
  });

  it('change password: the current one must verify; old tokens are refused, the returned one works', async () => {
    const bob = await api.signup('bob');
    const other = (await login(bob)).body.token as string;
    expectError(await api.call('POST', '/api/me/password', { token: bob.token, json: { currentPassword: 'wrong-one', newPassword: 'new-password-1' } }), 403, 'forbidden');
    expectError(await api.call('POST', '/api/me/password', { token: bob.token, json: { currentPassword: bob.password, newPassword: 'short' } }), 400, 'validation_failed');
    expect((await api.call('GET', '/api/me', { token: other })).status).toBe(200);

    const changed = await api.call('POST', '/api/me/password', { token: bob.token, json: { currentPassword: bob.password, newPassword: 'new-password-1' } });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body).toEqual({ user: { id: bob.id, username: bob.username, email: bob.email }, token: expect.any(String) });
    expectError(await api.call('GET', '/api/me', { token: bob.token }), 401, 'unauthorized');
    expectError(await api.call('GET', '/api/me', { token: other }), 401, 'unauthorized');
    expect((await api.call('GET', '/api/me', { token: changed.body.token })).status).toBe(200);
    expectError(await login(bob), 401, 'unauthorized');
    expect((await login(bob, 'new-password-1')).status).toBe(200);
  });

  it('delete my account: login fails, tokens are refused, my messages stay as "deleted user", the room goes on', async () => {
    const carol = await api.signup('carol');
    const dave = await api.signup('dave');
    const room = (await api.call('POST', '/api/rooms', { token: carol.token, json: { name: 'carol’s room' } })).body;
    expect((await api.call('POST', `/api/rooms/${room.id}/join`, { token: dave.token })).status).toBe(200);
    const said = (await api.call('POST', `/api/rooms/${room.id}/messages`, { token: carol.token, json: { text: 'bye all' } })).body;

    expectError(await api.call('DELETE', '/api/me', { token: carol.token, json: { password: 'not-mine' } }), 403, 'forbidden');
    expectError(await api.call('DELETE', '/api/me', { token: carol.token, json: {} }), 400, 'validation_failed');
    const deleted = await api.call('DELETE', '/api/me', { token: carol.token, json: { password: carol.password } });
    expect(deleted.status, deleted.text).toBe(204);

    expectError(await login(carol), 401, 'unauthorized');
    expectError(await api.call('GET', '/api/me', { token: carol.token }), 401, 'unauthorized');
    const history = await api.call('GET', `/api/rooms/${room.id}/messages?limit=50`, { token: dave.token });
    expect(history.status).toBe(200);
    expect(history.body.messages.find((m: { id: string }) => m.id === said.id)).toMatchObject({ sender: { id: carol.id, username: 'deleted user' }, text: 'bye all' });
    expect((await api.call('GET', `/api/rooms/${room.id}`, { token: dave.token })).body).toMatchObject({ memberCount: 1, createdBy: carol.id });
    expect((await api.call('POST', `/api/rooms/${room.id}/messages`, { token: dave.token, json: { text: 'still here' } })).status).toBe(201);
    // Nobody can add the deleted account back; its name is free for a new account.
    expectError(await api.call('POST', `/api/rooms/${room.id}/members`, { token: dave.token, json: { userId: carol.id } }), 404, 'not_found');
    const reuse = await api.call('POST', '/api/auth/signup', { json: { username: carol.username, email: carol.email, password: 'another-password' } });
    expect(reuse.status, reuse.text).toBe(201);
    expect(reuse.body.user.id).not.toBe(carol.id);
  });

  it('password checks are rate limited per account', async () => {
    const erin = await api.signup('erin');
    let last = await api.call('POST', '/api/me/password', { token: erin.token, json: { currentPassword: 'guess-0', newPassword: 'new-password-1' } });
    for (let i = 1; i < 40 && last.status === 403; i++) {
      last = await api.call('DELETE', '/api/me', { token: erin.token, json: { password: `guess-${i}` } });
    }
    expectError(last, 429, 'rate_limited');
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
