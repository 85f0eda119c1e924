import type { SqlStore } from '@chorus/core';
import { beforeAll, expect, it } from 'vitest';
import { expectError, randomName, type TestApi, type TestUser } from '../support.js';

/** Per-room mutes and the admin dead-letter endpoints. */
export function pushSuite(getApi: () => TestApi): void {
  let api: TestApi;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let admin: TestUser;
  let room: { id: string };

  const sql = () => (api.store as SqlStore).db;
  const mute = (user: TestUser, roomId: string, json: unknown = {}) => api.call('POST', `/api/rooms/${roomId}/mute`, { token: user.token, json });
  const getMute = (user: TestUser, roomId: string) => api.call('GET', `/api/rooms/${roomId}/mute`, { token: user.token });
  const unmute = (user: TestUser, roomId: string) => api.call('DELETE', `/api/rooms/${roomId}/mute`, { token: user.token });
  const recipientIds = async () => (await api.store.listPushRecipients(room.id)).map((r) => r.userId).sort();

  beforeAll(async () => {
    api = getApi();
    [alice, bob, carol, admin] = await Promise.all([api.signup('alice'), api.signup('bob'), api.signup('carol'), api.signup('admin')]);
    await sql().query('UPDATE users SET is_admin = true WHERE id = $1', [admin.id]);
    room = (await api.call('POST', '/api/rooms', { token: alice.token, json: { name: randomName('pushroom') } })).body;
    expect((await api.call('POST', `/api/rooms/${room.id}/join`, { token: bob.token })).status).toBe(200);
    // Only members with a device are push recipients.
    for (const user of [alice, bob]) {
      const device = await api.call('POST', '/api/devices', { token: user.token, json: { token: `fcm-${user.id}`, platform: 'android' } });
      expect(device.status).toBeLessThan(300);
    }
  });

  it('mutes a room until unmuted, which removes the member from push recipients', async () => {
    expect(await recipientIds()).toEqual([alice.id, bob.id].sort());
    const muted = await mute(bob, room.id);
    expect(muted.status).toBe(200);
    expect(muted.body).toEqual({ roomId: room.id, userId: bob.id, until: null });
    expect((await getMute(bob, room.id)).body).toEqual(muted.body);
    expect(await recipientIds()).toEqual([alice.id]);

    const unmuted = await unmute(bob, room.id);
    expect(unmuted.status).toBe(204);
    expect(unmuted.text).toBe('');
    expectError(await getMute(bob, room.id), 404, 'not_found');
    expect(await recipientIds()).toEqual([alice.id, bob.id].sort());
    expect((await unmute(bob, room.id)).status).toBe(204);
  });

  it('mutes until a time, and a mute that has ended no longer counts', async () => {
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const muted = await mute(alice, room.id, { until });
    expect(muted.status).toBe(200);
    expect(muted.body.until).toBe(until);
    expect(await recipientIds()).toEqual([bob.id]);
    await sql().query(`UPDATE room_mutes SET muted_until = now() - interval '1 second' WHERE room_id = $1 AND user_id = $2`, [room.id, alice.id]);
    expect(await recipientIds()).toEqual([alice.id, bob.id].sort());
    expectError(await getMute(alice, room.id), 404, 'not_found');
  });

  it.each([
    ['an end in the past', { until: '2001-01-01T00:00:00Z' }, 400, 'bad_request'],
    ['an end that is not a date-time', { until: 'tomorrow' }, 400, 'validation_failed'],
    ['an unknown field', { forever: true }, 400, 'validation_failed'],
  ])('rejects %s', async (_case, body, status, code) => {
    expectError(await mute(alice, room.id, body), status, code);
  });

  it('answers 403 for a public room the caller is not in, 404 for unknown rooms, 401 without a token', async () => {
    expectError(await mute(carol, room.id), 403, 'forbidden');
    expectError(await unmute(carol, room.id), 403, 'forbidden');
    expectError(await mute(carol, '00000000-0000-4000-8000-000000000000'), 404, 'not_found');
    expectError(await mute(carol, 'not-a-room'), 404, 'not_found');
    expectError(await api.call('POST', `/api/rooms/${room.id}/mute`, { json: {} }), 401, 'unauthorized');
  });

  it('lists dead push jobs to admins only, and replays one', async () => {
    const sent = await api.call('POST', `/api/rooms/${room.id}/messages`, { token: alice.token, json: { text: 'will fail' } });
    expect(sent.status).toBe(201);
    const { rows } = await sql().query<{ id: string | number }>(
      `UPDATE push_outbox SET state = 'dead', dead_at = now(), attempts = 8, last_error = 'messaging/internal-error: boom'
       WHERE message_id = $1 RETURNING id`,
      [sent.body.id],
    );
    const id = String(rows[0]!.id);

    expectError(await api.call('GET', '/api/admin/push/dead-letters', { token: alice.token }), 403, 'forbidden');
    expectError(await api.call('POST', `/api/admin/push/dead-letters/${id}/replay`, { token: alice.token }), 403, 'forbidden');
    expectError(await api.call('GET', '/api/admin/push/dead-letters'), 401, 'unauthorized');

    const listed = await api.call('GET', '/api/admin/push/dead-letters?limit=500', { token: admin.token });
    expect(listed.status).toBe(200);
    expect(listed.body.deadLetters).toContainEqual({
      id,
      roomId: room.id,
      messageId: sent.body.id,
      seq: sent.body.seq,
      attempts: 8,
      lastError: 'messaging/internal-error: boom',
      storedAt: expect.any(String),
      deadAt: expect.any(String),
    });

    const replayed = await api.call('POST', `/api/admin/push/dead-letters/${id}/replay`, { token: admin.token });
    expect(replayed.status).toBe(204);
    const after = await sql().query<{ state: string; attempts: number }>('SELECT state, attempts FROM push_outbox WHERE id = $1', [id]);
    expect(after.rows).toEqual([{ state: 'pending', attempts: 0 }]);
    expect((await api.call('GET', '/api/admin/push/dead-letters?limit=500', { token: admin.token })).body.deadLetters.map((d: { id: string }) => d.id)).not.toContain(id);
    expectError(await api.call('POST', `/api/admin/push/dead-letters/${id}/replay`, { token: admin.token }), 404, 'not_found');
    expectError(await api.call('POST', '/api/admin/push/dead-letters/abc/replay', { token: admin.token }), 404, 'not_found');
    expectError(await api.call('GET', '/api/admin/push/dead-letters?limit=0', { token: admin.token }), 400, 'validation_failed');
  });
}
