import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, startTestApi, type TestApi, type TestUser } from './support.js';

// Edit and delete over real HTTP: the answers, the history afterwards, search, and the window.
describe('PATCH and DELETE /api/rooms/:id/messages/:messageId', () => {
  let api: TestApi;
  let alice: TestUser;
  let bob: TestUser;
  let roomId: string;

  beforeAll(async () => {
    api = await startTestApi('pglite', { env: { MESSAGE_EDIT_WINDOW_SECONDS: '60' } });
    [alice, bob] = [await api.signup('alice'), await api.signup('bob')];
    roomId = (await api.call('POST', '/api/rooms', { token: alice.token, json: { name: 'lifecycle' } })).body.id;
    expect((await api.call('POST', `/api/rooms/${roomId}/join`, { token: bob.token })).status).toBe(200);
  });
  afterAll(async () => {
    await api?.close();
  });

  const send = async (user: TestUser, text: string) => (await api.call('POST', `/api/rooms/${roomId}/messages`, { token: user.token, json: { text } })).body;
  const history = async (after = 0) => (await api.call('GET', `/api/rooms/${roomId}/messages?after=${after}&limit=200`, { token: alice.token })).body.messages;

  it('an edit is the next entry of the room and history shows the message edited', async () => {
    const sent = await send(bob, 'teh plan');
    const reply = await api.call('PATCH', `/api/rooms/${roomId}/messages/${sent.id}`, { token: bob.token, json: { text: 'the plan' } });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body).toMatchObject({ type: 'edit', seq: sent.seq + 1, targetId: sent.id, text: 'the plan', sender: { id: bob.id } });
    const page = await history(sent.seq - 1);
    expect(page.map((m: { type: string }) => m.type)).toEqual(['text', 'edit']);
    expect(page[0]).toMatchObject({ id: sent.id, text: 'the plan', editedAt: expect.any(String) });
    const found = await api.call('GET', `/api/search?q=plan&roomId=${roomId}`, { token: alice.token });
    expect(found.body.messages.map((m: { id: string; text: string }) => [m.id, m.text])).toEqual([[sent.id, 'the plan']]);
  });

  it('a delete leaves a tombstone in history and nothing in search; the creator may delete too', async () => {
    const mine = await send(bob, 'zebra crossing');
    const theirs = await send(bob, 'zebra stripes');
    const del = await api.call('DELETE', `/api/rooms/${roomId}/messages/${mine.id}`, { token: bob.token });
    expect(del.status, del.text).toBe(200);
    expect(del.body).toMatchObject({ type: 'delete', targetId: mine.id, text: '' });
    // Alice created the room: she may delete Bob's message (not edit it).
    expectError(await api.call('PATCH', `/api/rooms/${roomId}/messages/${theirs.id}`, { token: alice.token, json: { text: 'x' } }), 403, 'forbidden');
    expect((await api.call('DELETE', `/api/rooms/${roomId}/messages/${theirs.id}`, { token: alice.token })).status).toBe(200);
    const page = await history(mine.seq - 1);
    expect(page.slice(0, 2)).toEqual([
      expect.objectContaining({ id: mine.id, seq: mine.seq, type: 'text', text: '', deleted: true }),
      expect.objectContaining({ id: theirs.id, seq: theirs.seq, deleted: true }),
    ]);
    expect(page.slice(2).map((m: { type: string; targetId: string }) => [m.type, m.targetId])).toEqual([['delete', mine.id], ['delete', theirs.id]]);
    expect((await api.call('GET', `/api/search?q=zebra&roomId=${roomId}`, { token: alice.token })).body.messages).toEqual([]);
    expectError(await api.call('DELETE', `/api/rooms/${roomId}/messages/${mine.id}`, { token: bob.token }), 409, 'conflict');
  });

  it('refuses bad input with clear errors and nothing stored', async () => {
    const sent = await send(bob, 'keep');
    const before = (await history()).length;
    expectError(await api.call('PATCH', `/api/rooms/${roomId}/messages/not-a-uuid`, { token: bob.token, json: { text: 'x' } }), 404, 'not_found');
    expectError(await api.call('PATCH', `/api/rooms/${roomId}/messages/${sent.id}`, { token: bob.token, json: { text: '' } }), 400, 'bad_request');
    expectError(await api.call('PATCH', `/api/rooms/${roomId}/messages/${sent.id}`, { token: bob.token, json: { text: 'x', extra: 1 } }), 400, 'validation_failed');
    expectError(await api.call('PATCH', `/api/rooms/${roomId}/messages/${sent.id}`, { token: bob.token, json: {} }), 400, 'validation_failed');
    expectError(await api.call('PATCH', `/api/rooms/${roomId}/messages/${roomId}`, { token: bob.token, json: { text: 'x' } }), 404, 'not_found');
    expectError(await api.call('DELETE', `/api/rooms/${roomId}/messages/${alice.id}`, { token: bob.token }), 404, 'not_found');
    expect((await history()).length).toBe(before);
  });

  it('refuses an edit after MESSAGE_EDIT_WINDOW_SECONDS', async () => {
    const sent = await send(bob, 'old');
    // Backdate it past the 60 s window (the store is the test's own).
    const db = (api.store as unknown as { db: { query(sql: string, params: unknown[]): Promise<unknown> } }).db;
    await db.query("UPDATE messages SET created_at = now() - interval '2 minutes' WHERE id = $1", [sent.id]);
    expectError(await api.call('PATCH', `/api/rooms/${roomId}/messages/${sent.id}`, { token: bob.token, json: { text: 'new' } }), 403, 'forbidden');
    // Deleting has no window.
    expect((await api.call('DELETE', `/api/rooms/${roomId}/messages/${sent.id}`, { token: bob.token })).status).toBe(200);
  });

  it('sends a reply carrying a quote, shown as deleted once its message is deleted', async () => {
    const question = await send(alice, 'lunch at twelve?');
    const reply = await api.call('POST', `/api/rooms/${roomId}/messages`, { token: bob.token, json: { text: 'yes', replyTo: question.id } });
    expect(reply.status, reply.text).toBe(201);
    expect(reply.body.replyTo).toEqual({ id: question.id, sender: { id: alice.id, username: alice.username }, text: 'lunch at twelve?' });
    expectError(await api.call('POST', `/api/rooms/${roomId}/messages`, { token: bob.token, json: { text: 'x', replyTo: bob.id } }), 404, 'not_found');
    expectError(await api.call('POST', `/api/rooms/${roomId}/messages`, { token: bob.token, json: { text: 'x', replyTo: 'nope' } }), 400, 'validation_failed');
    expect((await api.call('DELETE', `/api/rooms/${roomId}/messages/${question.id}`, { token: alice.token })).status).toBe(200);
    const [shown] = await history(reply.body.seq - 1);
    expect(shown.replyTo).toEqual({ id: question.id, sender: { id: alice.id, username: alice.username }, text: '', deleted: true });
  });
});

