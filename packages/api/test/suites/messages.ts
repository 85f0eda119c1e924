import { randomUUID } from 'node:crypto';
import { topics } from '@chorus/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectError, randomName, type TestApi, type TestUser } from '../support.js';

export function messagesSuite(getApi: () => TestApi): void {
  let api: TestApi;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  /** Public: alice and bob. */
  let lounge: { id: string };
  /** Private: alice only. */
  let vault: { id: string };

  const send = (user: TestUser, roomId: string, json: unknown) => api.call('POST', `/api/rooms/${roomId}/messages`, { token: user.token, json });
  const history = (user: TestUser, roomId: string, query = '') => api.call('GET', `/api/rooms/${roomId}/messages${query}`, { token: user.token });
  const lastSeq = async (roomId: string) => (await api.store.lastSeq(roomId)) ?? -1;

  beforeAll(async () => {
    api = getApi();
    [alice, bob, carol] = await Promise.all([api.signup('alice'), api.signup('bob'), api.signup('carol')]);
    lounge = (await api.call('POST', '/api/rooms', { token: alice.token, json: { name: randomName('lounge') } })).body;
    vault = (await api.call('POST', '/api/rooms', { token: alice.token, json: { name: randomName('vault'), private: true } })).body;
    expect((await api.call('POST', `/api/rooms/${lounge.id}/join`, { token: bob.token })).status).toBe(200);
  });

  describe('POST /api/rooms/:id/messages', () => {
    it('stores the message and publishes it to the room topic like a STOMP SEND', async () => {
      const text = `hello from http 👋 ${randomUUID()}`;
      let deliver: (payload: string) => void = () => undefined;
      const received = new Promise<string>((resolve) => (deliver = resolve));
      const unsubscribe = await api.broker.subscribe(topics.room(lounge.id), (payload) => {
        if ((JSON.parse(payload) as { text?: string }).text === text) deliver(payload);
      });
      try {
        const reply = await send(bob, lounge.id, { text });
        expect(reply.status).toBe(201);
        expect(reply.body).toEqual({
          id: expect.any(String),
          roomId: lounge.id,
          seq: expect.any(Number),
          type: 'text',
          sender: { id: bob.id, username: bob.username },
          text,
          createdAt: expect.any(String),
        });
        expect(JSON.parse(await received)).toEqual(reply.body);
        expect(await lastSeq(lounge.id)).toBe(reply.body.seq);
      } finally {
        await unsubscribe();
      }
    });

    it('applies the SEND rate limit per user: over the burst is 429 with Retry-After and nothing stored', async () => {
      const [hasty, calm] = await Promise.all([api.signup('hasty'), api.signup('calm')]);
      const room = (await api.call('POST', '/api/rooms', { token: hasty.token, json: { name: randomName('burst') } })).body;
      expect((await api.call('POST', `/api/rooms/${room.id}/join`, { token: calm.token })).status).toBe(200);
      const { httpSendBurst: sendBurst } = api.config.limits;
      const accepted = await Promise.all(Array.from({ length: sendBurst }, (_, i) => send(hasty, room.id, { text: `burst ${i}` })));
      expect(accepted.map((r) => r.status)).toEqual(accepted.map(() => 201));
      const seqAfterBurst = await lastSeq(room.id);
      const limited = await send(hasty, room.id, { text: 'one too many' });
      expectError(limited, 429, 'rate_limited');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await lastSeq(room.id)).toBe(seqAfterBurst);
      // The budget is the user's own: another member still sends.
      expect((await send(calm, room.id, { text: 'unaffected' })).status).toBe(201);
    });

    it('counts characters, not UTF-16 units: the limit in emoji is accepted', async () => {
      const text = '🎉'.repeat(api.config.limits.maxMessageLength);
      const reply = await send(alice, lounge.id, { text });
      expect(reply.status).toBe(201);
      expect(reply.body.text).toBe(text);
    });

    it('rejects text over the limit with 413 and stores nothing', async () => {
      const before = await lastSeq(lounge.id);
      const reply = await send(alice, lounge.id, { text: 'x'.repeat(api.config.limits.maxMessageLength + 1) });
      expectError(reply, 413, 'payload_too_large');
      expect(await lastSeq(lounge.id)).toBe(before);
    });

    it('rejects a body over the size limit with 413 and stores nothing', async () => {
      const before = await lastSeq(lounge.id);
      expectError(await send(alice, lounge.id, { text: 'y'.repeat(api.config.limits.maxBodyBytes + 10) }), 413, 'payload_too_large');
      expect(await lastSeq(lounge.id)).toBe(before);
    });

    it.each([
      ['empty text', { text: '' }, 400, 'bad_request'],
      ['blank text', { text: ' \n\t ' }, 400, 'bad_request'],
      ['text with NUL', { text: 'a\u0000b' }, 400, 'bad_request'],
      ['missing text', {}, 400, 'validation_failed'],
      ['non-string text', { text: 42 }, 400, 'validation_failed'],
      ['an unknown field', { text: 'hi', seq: 7 }, 400, 'validation_failed'],
    ])('rejects %s and stores nothing', async (_case, body, status, code) => {
      const before = await lastSeq(lounge.id);
      expectError(await send(alice, lounge.id, body), status, code);
      expect(await lastSeq(lounge.id)).toBe(before);
    });

    it('rejects malformed JSON with 400 and stores nothing', async () => {
      const before = await lastSeq(lounge.id);
      const reply = await api.call('POST', `/api/rooms/${lounge.id}/messages`, { token: alice.token, raw: '{"text": "unterminated' });
      expectError(reply, 400, 'bad_request');
      expect(await lastSeq(lounge.id)).toBe(before);
    });

    it('answers 403 for non-members of public rooms and 404 for private, unknown and malformed rooms', async () => {
      const loungeBefore = await lastSeq(lounge.id);
      const vaultBefore = await lastSeq(vault.id);
      expectError(await send(carol, lounge.id, { text: 'let me in' }), 403, 'forbidden');
      expectError(await send(bob, vault.id, { text: 'let me in' }), 404, 'not_found');
      expectError(await send(alice, randomUUID(), { text: 'anyone?' }), 404, 'not_found');
      expectError(await send(alice, 'lounge', { text: 'anyone?' }), 404, 'not_found');
      expectError(await api.call('POST', `/api/rooms/${lounge.id}/messages`, { json: { text: 'anon' } }), 401, 'unauthorized');
      expect(await lastSeq(lounge.id)).toBe(loungeBefore);
      expect(await lastSeq(vault.id)).toBe(vaultBefore);
    });
  });

  describe('GET /api/rooms/:id/messages', () => {
    let room: { id: string };
    let seqs: number[];

    beforeAll(async () => {
      room = (await api.call('POST', '/api/rooms', { token: alice.token, json: { name: randomName('history') } })).body;
      seqs = [];
      for (let i = 1; i <= 8; i++) seqs.push((await send(alice, room.id, { text: `m${i}` })).body.seq);
    });

    it('returns the newest messages ascending by seq', async () => {
      const all = await history(alice, room.id);
      expect(all.status).toBe(200);
      const allSeqs = all.body.messages.map((m: { seq: number }) => m.seq);
      expect(allSeqs).toEqual([...allSeqs].sort((a, b) => a - b));
      expect(allSeqs.slice(-8)).toEqual(seqs);
      expect(all.body.messages.slice(-8).map((m: { text: string }) => m.text)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8']);

      const newest = await history(alice, room.id, '?limit=3');
      expect(newest.body.messages.map((m: { seq: number }) => m.seq)).toEqual(seqs.slice(-3));
    });

    it('windows with before and after', async () => {
      const before = await history(alice, room.id, `?before=${seqs[5]}&limit=2`);
      expect(before.body.messages.map((m: { seq: number }) => m.seq)).toEqual([seqs[3], seqs[4]]);
      const after = await history(alice, room.id, `?after=${seqs[1]}&limit=3`);
      expect(after.body.messages.map((m: { seq: number }) => m.seq)).toEqual([seqs[2], seqs[3], seqs[4]]);
      const between = await history(alice, room.id, `?after=${seqs[1]}&before=${seqs[4]}`);
      expect(between.body.messages.map((m: { seq: number }) => m.seq)).toEqual([seqs[2], seqs[3]]);
      const past = await history(alice, room.id, `?after=${seqs[7]}`);
      expect(past.body.messages).toEqual([]);
    });

    it('rejects bad query values with 400', async () => {
      for (const query of ['?limit=0', '?limit=201', '?limit=abc', '?before=0', '?after=-1', '?before=x']) {
        expect(expectError(await history(alice, room.id, query), 400, 'validation_failed')).toMatch(/^querystring\./);
      }
    });

    it('is for members only', async () => {
      expectError(await history(carol, room.id), 403, 'forbidden');
      expectError(await history(bob, vault.id), 404, 'not_found');
      expectError(await history(alice, randomUUID()), 404, 'not_found');
      expectError(await history(alice, 'x'), 404, 'not_found');
      expectError(await api.call('GET', `/api/rooms/${room.id}/messages`), 401, 'unauthorized');
    });
  });

  describe('GET /api/search', () => {
    let word: string;
    let publicHit: { id: string };
    let privateHit: { id: string };

    beforeAll(async () => {
      word = `zebra${randomUUID().slice(0, 8)}`;
      publicHit = (await send(alice, lounge.id, { text: `the ${word} crossed the road` })).body;
      privateHit = (await send(alice, vault.id, { text: `secret ${word} plans` })).body;
      await send(alice, lounge.id, { text: 'nothing to see here' });
    });

    const search = (user: TestUser, query: string) => api.call('GET', `/api/search?${query}`, { token: user.token });
    const ids = (reply: { body: { messages: Array<{ id: string }> } }) => reply.body.messages.map((m) => m.id);

    it('searches only the rooms the caller belongs to, newest first', async () => {
      const own = await search(alice, `q=${word}`);
      expect(own.status).toBe(200);
      expect(ids(own)).toEqual([privateHit.id, publicHit.id]);
      expect(own.body.messages[1]).toMatchObject({ roomId: lounge.id, type: 'text', sender: { id: alice.id, username: alice.username } });
      expect(ids(await search(bob, `q=${word}`))).toEqual([publicHit.id]);
      expect(ids(await search(carol, `q=${word}`))).toEqual([]);
    });

    it('filters by room and honours the limit', async () => {
      expect(ids(await search(alice, `q=${word}&roomId=${lounge.id}`))).toEqual([publicHit.id]);
      expect(ids(await search(alice, `q=${word}&limit=1`))).toEqual([privateHit.id]);
    });

    it('answers 403/404 instead of results for rooms the caller is not in', async () => {
      expectError(await search(carol, `q=${word}&roomId=${lounge.id}`), 403, 'forbidden');
      expectError(await search(bob, `q=${word}&roomId=${vault.id}`), 404, 'not_found');
      expectError(await search(alice, `q=${word}&roomId=${randomUUID()}`), 404, 'not_found');
    });

    it('validates the query', async () => {
      expect(expectError(await search(alice, ''), 400, 'validation_failed')).toContain('querystring.q');
      expectError(await search(alice, 'q=%20%20'), 400, 'validation_failed');
      expectError(await search(alice, `q=${'a'.repeat(201)}`), 400, 'validation_failed');
      expectError(await search(alice, `q=${word}&roomId=lounge`), 400, 'validation_failed');
      expectError(await search(alice, `q=${word}&limit=0`), 400, 'validation_failed');
      expectError(await api.call('GET', `/api/search?q=${word}`), 401, 'unauthorized');
    });
  });
}
