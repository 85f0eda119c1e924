import { beforeAll, expect, it } from 'vitest';
import { expectError, randomName, type TestApi, type TestUser } from '../support.js';

export function devicesSuite(getApi: () => TestApi): void {
  let api: TestApi;
  let dave: TestUser;
  let erin: TestUser;

  beforeAll(async () => {
    api = getApi();
    [dave, erin] = await Promise.all([api.signup('dave'), api.signup('erin')]);
  });

  const register = (user: TestUser, json: unknown) => api.call('POST', '/api/devices', { token: user.token, json });
  const listTokens = async (user: TestUser) => {
    const reply = await api.call('GET', '/api/me/devices', { token: user.token });
    expect(reply.status).toBe(200);
    return (reply.body.devices as Array<{ token: string; platform: string }>).map((d) => `${d.token}/${d.platform}`);
  };
  const remove = (user: TestUser, token: string) => api.call('DELETE', `/api/devices/${encodeURIComponent(token)}`, { token: user.token });

  it('registers a device idempotently and lists it', async () => {
    const token = `fcm:${randomName('tok')}-_.`;
    const first = await register(dave, { token, platform: 'android' });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ token, userId: dave.id, platform: 'android', createdAt: expect.any(String), updatedAt: expect.any(String) });
    const second = await register(dave, { token, platform: 'web' });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ token, userId: dave.id, platform: 'web' });
    expect((await listTokens(dave)).filter((t) => t.startsWith(`${token}/`))).toEqual([`${token}/web`]);
  });

  it('moves a token registered by another user to the caller', async () => {
    const token = randomName('shared');
    await register(dave, { token, platform: 'ios' });
    const moved = await register(erin, { token, platform: 'ios' });
    expect(moved.body.userId).toBe(erin.id);
    expect(await listTokens(erin)).toContain(`${token}/ios`);
    expect(await listTokens(dave)).not.toContain(`${token}/ios`);
  });

  it('deletes only the caller devices', async () => {
    const token = randomName('mine');
    await register(dave, { token, platform: 'android' });
    expectError(await remove(erin, token), 404, 'not_found');
    expect(await listTokens(dave)).toContain(`${token}/android`);

    const deleted = await remove(dave, token);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect(await listTokens(dave)).not.toContain(`${token}/android`);
    expectError(await remove(dave, token), 404, 'not_found');
  });

  it.each([
    ['an unknown platform', { token: 'abc', platform: 'blackberry' }, 'body.platform'],
    ['a missing token', { platform: 'web' }, 'body.token'],
    ['an empty token', { token: '', platform: 'web' }, 'body.token'],
    ['a blank token', { token: '   ', platform: 'web' }, 'body.token'],
    ['a token over 4096 characters', { token: 't'.repeat(4097), platform: 'web' }, 'body.token'],
    ['an unknown field', { token: 'abc', platform: 'web', app: 'x' }, 'body.app'],
  ])('rejects %s with 400', async (_case, body, field) => {
    const before = await listTokens(dave);
    expect(expectError(await register(dave, body), 400, 'validation_failed')).toContain(field);
    expect(await listTokens(dave)).toEqual(before);
  });

  it('requires a token on every device route', async () => {
    expectError(await api.call('POST', '/api/devices', { json: { token: 'abc', platform: 'web' } }), 401, 'unauthorized');
    expectError(await api.call('DELETE', '/api/devices/abc'), 401, 'unauthorized');
    expectError(await api.call('GET', '/api/me/devices'), 401, 'unauthorized');
  });
}
