import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestUser } from './support.js';

// Reactions, mentions and settings over real HTTP.
describe('reactions and mentions over REST', () => {
  let api: TestApi;
  let alice: TestUser;
  let bob: TestUser;
  let roomId: string;

  beforeAll(async () => {
    api = await startTestApi('pglite', { env: { HTTP_SEND_BURST: '20', HTTP_SEND_RATE_PER_SECOND: '1' } });
    [alice, bob] = [await api.signup('alice'), await api.signup('bob')];
    roomId = (await api.call('POST', '/api/rooms', { token: alice.token, json: { name: 'reactions' } })).body.id;
    expect((await api.call('POST', `/api/rooms/${roomId}/join`, { token: bob.token })).status).toBe(200);
  });
  afterAll(async () => {
    await api?.close();
  });

  const reactions = (messageId: string, emoji: string) => `/api/rooms/${roomId}/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`;

  it('PUT and DELETE change reactions idempotently; history has them with my mark; hostile emoji are 400', async () => {
    const sent = (await api.call('POST', `/api/rooms/${roomId}/messages`, { token: alice.token, json: { text: `hi @${bob.username}` } })).body;
    expect(sent.mentions).toEqual([bob.id]);
    const put = await api.call('PUT', reactions(sent.id, '👍🏽'), { token: bob.token });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toEqual({ messageId: sent.id, reactions: [{ emoji: '👍🏽', count: 1, mine: true }] });
    expect((await api.call('PUT', reactions(sent.id, '👍🏽'), { token: bob.token })).body.reactions).toEqual([{ emoji: '👍🏽', count: 1, mine: true }]);
    const page = (await api.call('GET', `/api/rooms/${roomId}/messages?after=${sent.seq - 1}`, { token: alice.token })).body.messages;
    expect(page.map((m: { type: string }) => m.type)).toEqual(['text', 'reaction']);
    expect(page[0]).toMatchObject({ reactions: [{ emoji: '👍🏽', count: 1 }], mentions: [bob.id] });
    expect(page[1]).toMatchObject({ type: 'reaction', targetId: sent.id, reaction: { emoji: '👍🏽' }, reactions: [{ emoji: '👍🏽', count: 1 }] });
    for (const bad of ['lol', '👍👍', 'a'.repeat(60)]) expect((await api.call('PUT', reactions(sent.id, bad), { token: bob.token })).status).toBe(400);
    expect((await api.call('PUT', `/api/rooms/${roomId}/messages/${sent.id}/reactions/${'%F0%9F%91%8D'.repeat(100)}`, { token: bob.token })).status).toBe(400);
    const del = await api.call('DELETE', reactions(sent.id, '👍🏽'), { token: bob.token });
    expect(del.body).toEqual({ messageId: sent.id, reactions: [] });
    // Bob's mention shows on his room list until he reads.
    const rooms = (await api.call('GET', '/api/me/rooms', { token: bob.token })).body.rooms;
    expect(rooms.find((r: { id: string }) => r.id === roomId)).toMatchObject({ mentions: 1 });
  });

  it('an edit (PATCH) re-resolves @mentions: the newly mentioned member is counted, once', async () => {
    const sent = (await api.call('POST', `/api/rooms/${roomId}/messages`, { token: alice.token, json: { text: 'plain' } })).body;
    const lastSeq = (await api.call('GET', '/api/me/rooms', { token: bob.token })).body.rooms.find((r: { id: string }) => r.id === roomId).lastSeq;
    expect((await api.call('POST', `/api/rooms/${roomId}/read`, { token: bob.token, json: { seq: lastSeq } })).status).toBe(200);
    const mentionsOfBob = async () => (await api.call('GET', '/api/me/rooms', { token: bob.token })).body.rooms.find((r: { id: string }) => r.id === roomId).mentions;
    expect(await mentionsOfBob()).toBe(0);
    const edit = (text: string) => api.call('PATCH', `/api/rooms/${roomId}/messages/${sent.id}`, { token: alice.token, json: { text } });
    const edited = await edit(`plain @${bob.username}`);
    expect(edited.status, edited.text).toBe(200);
    expect(edited.body).toMatchObject({ type: 'edit', targetId: sent.id, mentions: [bob.id] });
    expect(await mentionsOfBob()).toBe(1);
    expect((await edit(`still @${bob.username}`)).body.mentions).toBeUndefined();
    expect(await mentionsOfBob()).toBe(1);
  });

  it('settings: GET and PATCH, unknown keys refused', async () => {
    expect((await api.call('GET', '/api/me/settings', { token: alice.token })).body).toEqual({ notifyMentionsWhenMuted: true });
    expect((await api.call('PATCH', '/api/me/settings', { token: alice.token, json: { notifyMentionsWhenMuted: false } })).body).toEqual({ notifyMentionsWhenMuted: false });
    expect((await api.call('PATCH', '/api/me/settings', { token: alice.token, json: { other: true } })).status).toBe(400);
  });

  it('reactions have a send budget per user (HTTP_SEND_BURST per window)', async () => {
    const sent = (await api.call('POST', `/api/rooms/${roomId}/messages`, { token: bob.token, json: { text: 'budget' } })).body;
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await api.call('PUT', reactions(sent.id, '🎉'), { token: bob.token })).status);
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s === 200).length).toBeLessThan(20);
  });
});
