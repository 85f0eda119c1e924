import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODERATION_LIMITS, USER_SEARCH_MAX_QUERY, USER_SEARCH_MAX_RESULTS } from '@chorus/core';
import { DM_OPEN_PER_MINUTE } from '../src/routes/direct-messages.js';
import { SETTINGS_CHANGES_PER_MINUTE } from '../src/routes/reactions.js';
import { expectError, startTestApi, storeBackends, type TestApi, type TestUser } from './support.js';

/**
 * What one hostile user can make the newer routes cost: each bound of docs/hardening.md
 * ("Security limits") that is not a moderation or reaction rule tested elsewhere.
 */
describe('bounds of the newer routes against one hostile user', () => {
  let api: TestApi;
  let alice: TestUser;
  let bob: TestUser;
  let roomId: string;

  beforeAll(async () => {
    api = await startTestApi(storeBackends()[0]!);
    [alice, bob] = [await api.signup('alice'), await api.signup('bob')];
    roomId = (await api.call('POST', '/api/rooms', { token: alice.token, json: { name: 'bounds' } })).body.id;
  });
  afterAll(async () => {
    await api?.close();
  });

  it('settings changes have a per-user budget; reading them does not', async () => {
    for (let i = 0; i < SETTINGS_CHANGES_PER_MINUTE; i++) {
      expect((await api.call('PATCH', '/api/me/settings', { token: bob.token, json: { notifyMentionsWhenMuted: i % 2 === 0 } })).status).toBe(200);
    }
    const refused = await api.call('PATCH', '/api/me/settings', { token: bob.token, json: { notifyMentionsWhenMuted: true } });
    expectError(refused, 429, 'rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await api.call('GET', '/api/me/settings', { token: bob.token })).body).toEqual({ notifyMentionsWhenMuted: false });
    // Another user's budget is their own.
    expect((await api.call('PATCH', '/api/me/settings', { token: alice.token, json: {} })).status).toBe(200);
  });

  it('history pages have a per-user budget, refused requests included', async () => {
    const { historyReadBurst } = api.config.limits;
    const page = (token: string, room: string) => api.call('GET', `/api/rooms/${room}/messages?limit=200`, { token });
    const answered = await Promise.all(Array.from({ length: historyReadBurst }, () => page(alice.token, roomId)));
    expect(answered.map((r) => r.status)).toEqual(answered.map(() => 200));
    const refused = await page(alice.token, roomId);
    expectError(refused, 429, 'rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another user's budget is their own (bob is not a member: his answer is still the access check's).
    expectError(await page(bob.token, roomId), 403, 'forbidden');
  });

  it('user search: query length and result count bounded, LIKE wildcards match only themselves', async () => {
    expectError(await api.call('GET', `/api/users?q=${'a'.repeat(USER_SEARCH_MAX_QUERY + 1)}`, { token: alice.token }), 400, 'validation_failed');
    expectError(await api.call('GET', `/api/users?q=a&limit=${USER_SEARCH_MAX_RESULTS + 1}`, { token: alice.token }), 400, 'validation_failed');
    for (const wildcard of ['%', '_', '%25', '\\']) {
      const reply = await api.call('GET', `/api/users?q=${encodeURIComponent(wildcard)}`, { token: alice.token });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ users: [] });
    }
  });

  it('moderation log, bans and member pages are bounded', async () => {
    for (const page of ['moderation-log', 'bans', 'members']) {
      expectError(await api.call('GET', `/api/rooms/${roomId}/${page}?limit=${MODERATION_LIMITS.maxPage + 1}`, { token: alice.token }), 400, 'validation_failed');
      expect((await api.call('GET', `/api/rooms/${roomId}/${page}?limit=${MODERATION_LIMITS.maxPage}`, { token: alice.token })).status).toBe(200);
    }
  });

  it('opening direct rooms has a per-user budget', async () => {
    const carol = await api.signup('carol');
    for (let i = 0; i < DM_OPEN_PER_MINUTE; i++) expect((await api.call('POST', '/api/dms', { token: carol.token, json: { userId: alice.id } })).status).toBe(200);
    expectError(await api.call('POST', '/api/dms', { token: carol.token, json: { userId: bob.id } }), 429, 'rate_limited');
  });

  it('a timed-out member adds no reactions but may take theirs back', async () => {
    const dave = await api.signup('dave');
    await api.call('POST', `/api/rooms/${roomId}/join`, { token: dave.token });
    const message = (await api.call('POST', `/api/rooms/${roomId}/messages`, { token: alice.token, json: { text: 'react' } })).body;
    const reaction = (emoji: string) => `/api/rooms/${roomId}/messages/${message.id}/reactions/${encodeURIComponent(emoji)}`;
    expect((await api.call('PUT', reaction('👍'), { token: dave.token })).status).toBe(200);
    expect((await api.call('PUT', `/api/rooms/${roomId}/timeouts/${dave.id}`, { token: alice.token, json: { minutes: 5 } })).status).toBe(200);
    expect(expectError(await api.call('PUT', reaction('🎉'), { token: dave.token }), 403, 'forbidden')).toMatch(/^you are timed out in this room until /);
    expect((await api.call('DELETE', reaction('👍'), { token: dave.token })).body).toEqual({ messageId: message.id, reactions: [] });
  });
});
