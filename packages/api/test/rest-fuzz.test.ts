import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryPresence, type Room } from '@chorus/core';
import { createTestStore, type TestStore } from '@chorus/core/testing';
import { badTokens, FUZZ_SEED, hostileJson, hostileNumber, hostileSegment, hostileString, runs } from './hostile-input.js';
import { call, startTestApi, storeBackends, type Reply, type TestApi, type TestUser } from './support.js';

/**
 * Fuzzes every REST endpoint (enumerated from the OpenAPI document, so new routes are covered
 * without editing this file) with wrong types, missing and extra fields, huge bodies, Unicode edge
 * cases, SQL-looking strings and bad tokens. Every answer must be a 2xx or a clear 4xx with the
 * error shape, never a 5xx, never a leaked stack trace or SQL, and a refused request must leave
 * the database exactly as it was (no half-stored rows). Seeded: FUZZ_SEED, scaled by FUZZ_RUNS.
 */

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
}

interface Operation {
  method: string;
  /** OpenAPI path, e.g. /api/rooms/{id}. */
  path: string;
  pathParams: string[];
  query: Record<string, JsonSchema>;
  body: JsonSchema | undefined;
  secured: boolean;
}

/** What may never appear in an error answer. */
const LEAKS = [/\n\s+at /, /\.ts:\d+/, /\.js:\d+/, /\bSELECT\b|\bINSERT INTO\b|\bUPDATE \w+ SET\b|\bDELETE FROM\b/i, /syntax error|relation "|violates|constraint|invalid byte sequence|invalid input syntax|SQLSTATE|pg_/i];

function operations(doc: { paths: Record<string, Record<string, { parameters?: { in: string; name: string; schema: JsonSchema }[]; requestBody?: { content: Record<string, { schema: JsonSchema }> }; security?: unknown[] }>> }): Operation[] {
  const out: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = op.parameters ?? [];
      out.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: Object.fromEntries(params.filter((p) => p.in === 'query').map((p) => [p.name, p.schema])),
        body: op.requestBody?.content['application/json']?.schema,
        secured: (op.security?.length ?? 0) > 0,
      });
    }
  }
  return out;
}

/** A value for a schema'd field: usually of a plausible type, often hostile, sometimes of the wrong type. */
function valueFor(schema: JsonSchema | undefined): fc.Arbitrary<unknown> {
  const type = Array.isArray(schema?.type) ? schema.type[0] : schema?.type;
  const typed: fc.Arbitrary<unknown> =
    type === 'integer' || type === 'number' ? hostileNumber : type === 'boolean' ? fc.boolean() : type === 'string' ? hostileString : hostileJson;
  return fc.oneof({ weight: 4, arbitrary: typed }, { weight: 1, arbitrary: hostileJson });
}

/** A JSON body for a schema: fields dropped, replaced, added; or not an object at all. */
function bodyFor(schema: JsonSchema): fc.Arbitrary<unknown> {
  const props = schema.properties ?? {};
  const names = Object.keys(props);
  const object = fc
    .record({
      values: fc.tuple(...names.map((n) => valueFor(props[n]))),
      // Mostly complete bodies, so that hostile values also reach the handlers and the store.
      keep: fc.array(fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }), { minLength: names.length, maxLength: names.length }),
      extra: fc.dictionary(fc.oneof(fc.constantFrom('isAdmin', 'id', 'userId', 'createdBy', '__proto__', 'constructor', 'sender'), fc.string({ maxLength: 8 })), hostileJson, { maxKeys: 2 }),
      addExtra: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    })
    .map(({ values, keep, extra, addExtra }) => {
      const body: Record<string, unknown> = {};
      names.forEach((n, i) => {
        if (keep[i] !== false) body[n] = values[i];
      });
      return addExtra ? { ...extra, ...body } : body;
    });
  return fc.oneof({ weight: 6, arbitrary: object }, { weight: 1, arbitrary: hostileJson });
}

/**
 * Tokens signed with the real key pass verification: only a holder of JWT_SECRET can make one for
 * an unknown user or a non-uuid subject, and each endpoint then answers as for any caller (4xx).
 */
const VERIFIABLE = new Set(['valid', 'unknown user', 'subject that is not a uuid']);

interface Case {
  op: Operation;
  token: string;
  tokenKind: string;
  url: string;
  body: { kind: 'json'; value: unknown } | { kind: 'raw'; text: string; contentType: string } | { kind: 'none' };
}

describe.each(storeBackends())(`REST fuzzing on %s (FUZZ_SEED=${FUZZ_SEED})`, (kind) => {
  let testStore: TestStore;
  let api: TestApi;
  let owner: TestUser;
  let ops: Operation[];
  let tokens: Record<string, string>;
  let publicRoom: Room;
  let privateRoom: Room;
  let messageId: string;
  let userIds: string[];
  const counts = new Map<string, number>();
  const statuses = new Map<number, number>();

  beforeAll(async () => {
    testStore = await createTestStore(kind);
    api = await startTestApi(kind, { store: testStore.store, presence: new MemoryPresence({ ttlMs: 30_000 }), env: { LOGIN_ATTEMPTS_PER_MINUTE: '100000' } });
    owner = await api.signup('owner');
    const stranger = await api.signup('stranger');
    userIds = [owner.id, stranger.id];
    publicRoom = (await api.call('POST', '/api/rooms', { token: owner.token, json: { name: 'fuzz public' } })).body as Room;
    privateRoom = (await api.call('POST', '/api/rooms', { token: stranger.token, json: { name: 'fuzz private', private: true } })).body as Room;
    messageId = (await api.call('POST', `/api/rooms/${publicRoom.id}/messages`, { token: owner.token, json: { text: 'hello fuzz' } })).body.id as string;
    await api.call('POST', '/api/devices', { token: owner.token, json: { token: 'fuzz-device-token', platform: 'web' } });
    ops = operations((await api.call('GET', '/docs/json')).body);
    tokens = { valid: owner.token, ...(await badTokens(api.tokens, api.config.jwt, owner.id)) };
  });

  afterAll(async () => {
    await api?.close();
    await testStore?.cleanup();
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const byStatus = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ');
    console.log(`[fuzz] REST on ${kind}: ${total} requests over ${counts.size} endpoints (FUZZ_SEED=${FUZZ_SEED}); statuses ${byStatus}`);
  });

  /** Row counts and aggregates that any stored row, whole or half, would change. */
  async function snapshot(): Promise<string> {
    const { rows } = await testStore.db.query(`
      SELECT (SELECT count(*) FROM users) AS users,
             (SELECT count(*) FROM rooms) AS rooms,
             (SELECT count(*) FROM memberships) AS memberships,
             (SELECT coalesce(sum(last_read_seq), 0) FROM memberships) AS read_seqs,
             (SELECT count(*) FROM messages) AS messages,
             (SELECT coalesce(sum(last_seq), 0) FROM rooms) AS last_seqs,
             (SELECT coalesce(sum(member_count), 0) FROM rooms) AS member_counts,
             (SELECT count(*) FROM devices) AS devices,
             (SELECT coalesce(max(updated_at)::text, '') FROM devices) AS devices_updated,
             (SELECT count(*) FROM reactions) AS reactions,
             (SELECT count(*) FROM message_mentions) AS mentions,
             (SELECT count(*) FILTER (WHERE edited_at IS NOT NULL) || '/' || count(*) FILTER (WHERE deleted_at IS NOT NULL) FROM messages) AS edited_deleted,
             (SELECT count(*) FROM direct_rooms) AS direct_rooms,
             (SELECT count(*) FROM user_blocks) AS blocks,
             (SELECT count(*) FROM room_bans) AS bans,
             (SELECT count(*) FROM room_timeouts) AS timeouts,
             (SELECT count(*) FROM room_moderation_log) AS moderation_log,
             (SELECT string_agg(role, ',' ORDER BY room_id, user_id) FROM memberships) AS roles,
             (SELECT string_agg(topic || slow_mode_seconds || announcement, ',' ORDER BY id) FROM rooms) AS room_settings,
             (SELECT count(*) FILTER (WHERE notify_mentions_when_muted) || '/' || sum(token_generation) || '/' || count(deleted_at) FROM users) AS user_state,
             (SELECT count(*) FROM push_outbox) AS push_jobs`);
    return JSON.stringify(rows[0]);
  }

  /** Invariants of whatever the fuzzing stored. */
  async function consistent(): Promise<void> {
    const { rows } = await testStore.db.query<{ problem: string }>(`
      SELECT 'room ' || r.id || ' last_seq ' || r.last_seq || ' vs ' || count(m.id) || ' messages' AS problem
        FROM rooms r LEFT JOIN messages m ON m.room_id = r.id GROUP BY r.id
       HAVING r.last_seq <> count(m.id) OR r.last_seq <> coalesce(max(m.seq), 0)
      UNION ALL
      SELECT 'room ' || r.id || ' member_count ' || r.member_count || ' vs ' || count(ms.user_id)
        FROM rooms r LEFT JOIN memberships ms ON ms.room_id = r.id GROUP BY r.id HAVING r.member_count <> count(ms.user_id)
      UNION ALL
      SELECT 'user ' || id || ' has no scrypt hash' FROM users WHERE password_hash NOT LIKE 'scrypt$%'
      UNION ALL
      SELECT 'membership read past the end in ' || ms.room_id FROM memberships ms JOIN rooms r ON r.id = ms.room_id WHERE ms.last_read_seq > r.last_seq
      UNION ALL
      SELECT 'mention row of ' || mm.message_id || ' outside its room or seq range' FROM message_mentions mm JOIN messages m ON m.id = mm.message_id
       WHERE m.room_id <> mm.room_id OR mm.seq < m.seq OR NOT EXISTS (SELECT 1 FROM messages e WHERE e.room_id = mm.room_id AND e.seq = mm.seq)
      UNION ALL
      SELECT 'reaction on a non-text message ' || x.message_id FROM reactions x JOIN messages m ON m.id = x.message_id WHERE m.type <> 'text'`);
    expect(rows.map((r) => r.problem)).toEqual([]);
  }

  function caseFor(op: Operation): fc.Arbitrary<Case> {
    const segments: Record<string, fc.Arbitrary<string>> = {
      id: hostileSegment([publicRoom.id, privateRoom.id]),
      token: hostileSegment(['fuzz-device-token']),
      messageId: hostileSegment([messageId]),
      userId: hostileSegment(userIds),
      emoji: hostileSegment(['👍', '👩‍👩‍👧', '👍'.repeat(40)]),
    };
    const pathArb = fc.tuple(...op.pathParams.map((p) => segments[p] ?? hostileSegment([]))).map((values) => {
      let path = op.path;
      // A lone surrogate cannot be percent-encoded (URIError): send U+FFFD in its place.
      op.pathParams.forEach((p, i) => (path = path.replace(`{${p}}`, encodeURIComponent(values[i]!.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')))));
      return path;
    });
    const queryArb = fc
      .tuple(
        fc.tuple(...Object.entries(op.query).map(([name, schema]) => fc.option(valueFor(schema).map((v) => [name, typeof v === 'string' ? v : JSON.stringify(v)] as const), { nil: undefined }))),
        fc.option(fc.tuple(fc.constantFrom('extra', 'limit', 'q', '__proto__', 'a[b]'), hostileString), { nil: undefined }),
      )
      .map(([declared, extra]) => {
        const params = new URLSearchParams();
        for (const entry of [...declared, extra]) if (entry) params.append(entry[0], entry[1]);
        const text = params.toString();
        return text ? `?${text}` : '';
      });
    const tokenArb = fc.oneof({ weight: 3, arbitrary: fc.constant('valid') }, { weight: 2, arbitrary: fc.constantFrom(...Object.keys(tokens)) }, { weight: 1, arbitrary: fc.constant('none') });
    const bodyArb: fc.Arbitrary<Case['body']> = op.body
      ? fc.oneof(
          { weight: 8, arbitrary: bodyFor(op.body).map((value) => ({ kind: 'json' as const, value })) },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              { kind: 'raw' as const, text: '{"text": "unterminated', contentType: 'application/json' },
              { kind: 'raw' as const, text: '', contentType: 'application/json' },
              { kind: 'raw' as const, text: 'text=x', contentType: 'application/x-www-form-urlencoded' },
              { kind: 'raw' as const, text: '{"text":"x"}', contentType: 'text/plain' },
              { kind: 'raw' as const, text: '{"__proto__":{"isAdmin":true},"text":"x","name":"x"}', contentType: 'application/json' },
              { kind: 'raw' as const, text: `{"text":"${'x'.repeat(20_000)}"}`, contentType: 'application/json' },
              { kind: 'raw' as const, text: `${'['.repeat(5000)}${']'.repeat(5000)}`, contentType: 'application/json' },
              { kind: 'raw' as const, text: '{"text":"\\ud800","name":"\\udfff","token":"\\u0000"}', contentType: 'application/json' },
            ),
          },
        )
      : fc.constant({ kind: 'none' as const });
    return fc.record({ path: pathArb, query: queryArb, tokenKind: tokenArb, body: bodyArb }).map(({ path, query, tokenKind, body }) => ({
      op,
      url: `${path}${query}`,
      tokenKind,
      token: tokenKind === 'none' ? '' : tokens[tokenKind]!,
      body,
      // A short form for fast-check's counterexample report (bodies and URLs can be huge).
      [fc.toStringMethod]: () => `${op.method} ${`${path}${query}`.slice(0, 300)} token=${tokenKind} body=${JSON.stringify(body)?.slice(0, 300)}`,
    }));
  }

  async function send(c: Case): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (c.tokenKind !== 'none') headers['authorization'] = `Bearer ${c.token}`;
    if (c.body.kind === 'json') return call(api.url, c.op.method, c.url, { json: c.body.value, headers });
    if (c.body.kind === 'raw') return call(api.url, c.op.method, c.url, { raw: c.body.text, headers: { ...headers, 'content-type': c.body.contentType } });
    return call(api.url, c.op.method, c.url, { headers });
  }

  it('covers every documented endpoint', () => {
    const names = ops.map((o) => `${o.method} ${o.path}`);
    for (const route of [
      ...['POST /api/auth/signup', 'POST /api/auth/login', 'GET /api/me', 'POST /api/rooms', 'GET /api/search', 'POST /api/devices', 'DELETE /api/devices/{token}'],
      ...['POST /api/me/password', 'POST /api/me/logout-all', 'DELETE /api/me', 'GET /api/me/settings', 'PATCH /api/me/settings'],
      ...['POST /api/dms', 'GET /api/users', 'GET /api/me/blocks', 'PUT /api/me/blocks/{userId}', 'DELETE /api/me/blocks/{userId}'],
      ...['PUT /api/rooms/{id}/messages/{messageId}/reactions/{emoji}', 'DELETE /api/rooms/{id}/messages/{messageId}/reactions/{emoji}', 'PATCH /api/rooms/{id}/messages/{messageId}'],
      ...['PATCH /api/rooms/{id}/settings', 'GET /api/rooms/{id}/members', 'PUT /api/rooms/{id}/members/{userId}/role', 'POST /api/rooms/{id}/transfer', 'DELETE /api/rooms/{id}/members/{userId}'],
      ...['GET /api/rooms/{id}/bans', 'PUT /api/rooms/{id}/bans/{userId}', 'DELETE /api/rooms/{id}/bans/{userId}', 'PUT /api/rooms/{id}/timeouts/{userId}', 'GET /api/rooms/{id}/moderation-log', 'DELETE /api/rooms/{id}'],
    ]) {
      expect(names).toContain(route);
    }
  });

  it('every endpoint answers hostile requests with a 2xx or a clear 4xx, never a 5xx or a half-stored row', async () => {
    for (const op of ops) {
      await fc.assert(
        fc.asyncProperty(caseFor(op), async (c) => {
          const before = await snapshot();
          const reply = await send(c);
          const label = `${c.op.method} ${c.url.slice(0, 200)} token=${c.tokenKind} body=${JSON.stringify(c.body).slice(0, 300)} → ${reply.status} ${reply.text.slice(0, 300)}`;
          counts.set(`${op.method} ${op.path}`, (counts.get(`${op.method} ${op.path}`) ?? 0) + 1);
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
          expect(reply.status, label).toBeLessThan(500);
          if (reply.status >= 400) {
            expect(reply.headers.get('content-type'), label).toMatch(/^application\/json/);
            expect(reply.body, label).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
            for (const leak of LEAKS) expect(reply.text, label).not.toMatch(leak);
            expect(await snapshot(), `a refused request changed the database: ${label}`).toBe(before);
          }
          // Only Node's HTTP parser (431: URL or headers too large) answers before authentication.
          if (op.secured && !VERIFIABLE.has(c.tokenKind) && reply.status !== 431) expect(reply.status, label).toBe(401);
          // A logout-all revoked the owner's tokens: later cases get a current one, so the
          // endpoints after it are fuzzed past authentication too.
          if (op.path === '/api/me/logout-all' && reply.status === 204) {
            const generation = (await api.store.getTokenGeneration(owner.id)) ?? 0;
            tokens['valid'] = await api.tokens.issue({ userId: owner.id, username: owner.username, generation });
          }
        }),
        { seed: FUZZ_SEED, numRuns: runs(op.method === 'GET' ? 30 : 45) },
      );
    }
    await consistent();
  });

  it('refuses every bad token on every secured endpoint with 401 and the error shape', async () => {
    for (const op of ops.filter((o) => o.secured)) {
      const path = op.path.replace('{id}', publicRoom.id).replace('{token}', 'fuzz-device-token');
      for (const [why, token] of Object.entries(tokens)) {
        if (VERIFIABLE.has(why)) continue;
        const before = await snapshot();
        const reply = await call(api.url, op.method, path, { token, ...(op.body ? { json: {} } : {}) });
        counts.set(`${op.method} ${op.path}`, (counts.get(`${op.method} ${op.path}`) ?? 0) + 1);
        expect({ why, status: reply.status, code: reply.body?.error?.code }).toEqual({
          why,
          status: 401,
          code: why === 'expired' ? 'token_expired' : 'unauthorized',
        });
        expect(await snapshot()).toBe(before);
      }
    }
  });
});
