import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, randomName, startTestApi, storeBackends, type Reply, type TestApi } from './support.js';

/** A fresh address per test: the counters of one test never spill into another. */
let nextAddress = 1;
const freshAddress = () => `198.51.100.${nextAddress++}`;
const from = (address: string) => ({ 'x-forwarded-for': address });

/**
 * Limits against one client burning CPU or flooding rooms: password hashing, sign-up, login per
 * account, forwarded addresses, room creation and membership changes. Every refusal is a 429 with
 * Retry-After, never a 5xx.
 */
describe('abuse limits of the REST API', () => {
  let base: TestApi;
  let proxied: TestApi;

  beforeAll(async () => {
    // Users are signed up through `base` (same store and, under NODE_ENV=test, the same secret).
    base = await startTestApi(storeBackends()[0]!);
    // Behind a trusted proxy on loopback, so tests can speak from many addresses.
    proxied = await startTestApi(base.kind, {
      store: base.store,
      env: {
        TRUST_PROXY: '127.0.0.1',
        LOGIN_ATTEMPTS_PER_MINUTE: '5',
        LOGIN_ACCOUNT_ATTEMPTS_PER_MINUTE: '8',
        SIGNUPS_PER_HOUR: '3',
        ROOM_CREATE_BURST: '3',
        ROOM_CREATE_RATE_PER_MINUTE: '1',
        MEMBERSHIP_BURST: '4',
        MEMBERSHIP_RATE_PER_MINUTE: '1',
      },
    });
  });
  afterAll(async () => {
    await proxied?.close();
    await base?.close();
  });

  const expectRetryAfter = (reply: Reply) => {
    expectError(reply, 429, 'rate_limited');
    expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0);
  };

  describe('forwarded addresses (TRUST_PROXY)', () => {
    it('ignores X-Forwarded-For by default, so a client cannot reset its login budget', async () => {
      const victim = randomName('victim');
      const attempt = (headers: Record<string, string> = {}) =>
        base.call('POST', '/api/auth/login', { json: { login: victim, password: 'guessing password' }, headers });
      for (let i = 0; i < base.config.limits.loginAttemptsPerMinute; i++) expectError(await attempt(from(freshAddress())), 401, 'unauthorized');
      expectRetryAfter(await attempt());
      expectRetryAfter(await attempt(from(freshAddress())));
    });

    it('believes X-Forwarded-For from a configured proxy', async () => {
      const victim = randomName('victim');
      const address = freshAddress();
      const attempt = (headers: Record<string, string>) =>
        proxied.call('POST', '/api/auth/login', { json: { login: victim, password: 'guessing password' }, headers });
      for (let i = 0; i < proxied.config.limits.loginAttemptsPerMinute; i++) expectError(await attempt(from(address)), 401, 'unauthorized');
      expectRetryAfter(await attempt(from(address)));
      // Another client of the proxy keeps its own budget for that login.
      expectError(await attempt(from(freshAddress())), 401, 'unauthorized');
    });
  });

  describe('login budget per account', () => {
    it('limits guesses at one account from many addresses together', async () => {
      const victim = await base.signup('target');
      const { loginAccountAttemptsPerMinute } = proxied.config.limits;
      const guess = (login: string) =>
        proxied.call('POST', '/api/auth/login', { json: { login, password: 'guessing password' }, headers: from(freshAddress()) });
      // By username, in any case, and by email: one account, one budget.
      const names = [victim.username, victim.username.toUpperCase(), victim.email];
      for (let i = 0; i < loginAccountAttemptsPerMinute; i++) expectError(await guess(names[i % names.length]!), 401, 'unauthorized');
      expectRetryAfter(await guess(victim.username));
      expectRetryAfter(await guess(victim.email));
      // Other accounts are not affected.
      const bystander = await base.signup('bystander');
      const ok = await proxied.call('POST', '/api/auth/login', { json: { login: bystander.username, password: bystander.password }, headers: from(freshAddress()) });
      expect(ok.status).toBe(200);
    });
  });

  describe('sign-up budget per address', () => {
    it('refuses sign-ups past SIGNUPS_PER_HOUR from one address, and stores no account', async () => {
      const address = freshAddress();
      const signup = (username: string, headers: Record<string, string>) =>
        proxied.call('POST', '/api/auth/signup', { json: { username, email: `${username}@example.test`, password: 'long enough password' }, headers });
      for (let i = 0; i < proxied.config.limits.signupsPerHour; i++) expect((await signup(randomName('s'), from(address))).status).toBe(201);
      const refused = randomName('s');
      expectRetryAfter(await signup(refused, from(address)));
      expect(await proxied.store.findCredentials(refused)).toBeFalsy();
      // Another address signs up normally.
      expect((await signup(randomName('s'), from(freshAddress()))).status).toBe(201);
    });
  });

  describe('room creation and membership budgets per user', () => {
    it('refuses room creation past ROOM_CREATE_BURST, storing nothing, without affecting other users', async () => {
      const user = await base.signup('creator');
      const other = await base.signup('other');
      const create = (token: string) => proxied.call('POST', '/api/rooms', { token, json: { name: randomName('room') } });
      for (let i = 0; i < proxied.config.limits.roomCreateBurst; i++) expect((await create(user.token)).status).toBe(201);
      const refused = await create(user.token);
      expectRetryAfter(refused);
      expect((await proxied.store.listMemberRooms(user.id)).length).toBe(proxied.config.limits.roomCreateBurst);
      expect((await create(other.token)).status).toBe(201);
    });

    it('refuses join/leave floods past MEMBERSHIP_BURST (join, leave and add-member share it)', async () => {
      const owner = await base.signup('owner');
      const flooder = await base.signup('flooder');
      const room = (await proxied.call('POST', '/api/rooms', { token: owner.token, json: { name: randomName('flood') } })).body;
      const seqBefore = (await proxied.store.lastSeq(room.id)) ?? 0;
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) {
        const path = `/api/rooms/${room.id}/${i % 2 === 0 ? 'join' : 'leave'}`;
        const reply = await proxied.call('POST', path, { token: flooder.token });
        statuses.push(reply.status);
        if (reply.status === 429) expectRetryAfter(reply);
      }
      expect(statuses).toEqual([200, 204, 200, 204, 429, 429, 429, 429, 429, 429]);
      // Four membership messages at most reached the room's history.
      expect(((await proxied.store.lastSeq(room.id)) ?? 0) - seqBefore).toBeLessThanOrEqual(4);
      // Adding members is charged to the adder's own budget, not the flooder's.
      const newcomer = await base.signup('newcomer');
      const added = await proxied.call('POST', `/api/rooms/${room.id}/members`, { token: owner.token, json: { userId: newcomer.id } });
      expect(added.status).toBe(200);
    });
  });
});

describe('membership needs consent', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(storeBackends()[0]!);
  });
  afterAll(() => api?.close());

  it('a user who left cannot be added back by others; they may rejoin a public room themselves', async () => {
    const owner = await api.signup('owner');
    const bob = await api.signup('bob');
    for (const isPrivate of [false, true]) {
      const room = (await api.call('POST', '/api/rooms', { token: owner.token, json: { name: randomName('consent'), private: isPrivate } })).body;
      const add = () => api.call('POST', `/api/rooms/${room.id}/members`, { token: owner.token, json: { userId: bob.id } });
      expect((await add()).status).toBe(200);
      expect((await api.call('POST', `/api/rooms/${room.id}/leave`, { token: bob.token })).status).toBe(204);
      const seq = await api.store.lastSeq(room.id);
      expect(expectError(await add(), 403, 'forbidden')).toMatch(/left the room/);
      expect(await api.store.isMember(room.id, bob.id)).toBe(false);
      // The refusal stored and broadcast nothing.
      expect(await api.store.lastSeq(room.id)).toBe(seq);
      if (!isPrivate) {
        expect((await api.call('POST', `/api/rooms/${room.id}/join`, { token: bob.token })).status).toBe(200);
        expect(await api.store.isMember(room.id, bob.id)).toBe(true);
        // Having come back by choice, bob can be added again after a later leave only if he rejoins.
        expect((await api.call('POST', `/api/rooms/${room.id}/leave`, { token: bob.token })).status).toBe(204);
        expectError(await add(), 403, 'forbidden');
      }
    }
  });
});

describe('bidirectional control characters in names', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(storeBackends()[0]!);
  });
  afterAll(() => api?.close());

  it('are refused in room names and usernames with a clear 400, and nothing is stored', async () => {
    const user = await api.signup('bidi');
    for (const c of ['\u202E', '\u202A', '\u2066', '\u2069', '\u200F']) {
      const name = `gnp${c}exe-${randomName('r')}`;
      const room = await api.call('POST', '/api/rooms', { token: user.token, json: { name } });
      expect(expectError(room, 400, 'bad_request')).toMatch(/bidirectional control/);
      const username = `ev${c}il${Date.now() % 1000}`;
      const signup = await api.call('POST', '/api/auth/signup', { json: { username, email: `x${Date.now()}@example.test`, password: 'long enough password' } });
      expect(signup.status).toBe(400);
      expect(await api.store.findCredentials(username)).toBeFalsy();
    }
    expect((await api.store.listMemberRooms(user.id)).length).toBe(0);
    // Right-to-left names themselves are fine.
    expect((await api.call('POST', '/api/rooms', { token: user.token, json: { name: 'שיחה כללית' } })).status).toBe(201);
  });
});

describe('password hashing is bounded per process', () => {
  let api: TestApi;
  let webRoot: string;

  beforeAll(async () => {
    webRoot = await mkdtemp(join(tmpdir(), 'chorus-hash-web-'));
    await writeFile(join(webRoot, 'index.html'), '<!doctype html><title>client</title>');
    await writeFile(join(webRoot, 'app.js'), 'console.log("chorus")');
    api = await startTestApi(storeBackends()[0]!, {
      webRoot,
      env: { PASSWORD_HASH_CONCURRENCY: '2', PASSWORD_HASH_QUEUE: '8', LOGIN_ACCOUNT_ATTEMPTS_PER_MINUTE: '1000' },
    });
  });
  afterAll(async () => {
    await api?.close();
    await rm(webRoot, { recursive: true, force: true });
  });

  it('answers 429 with Retry-After past the queue, while static files, healthz and a good login keep working', async () => {
    const good = await api.signup('good');
    const timed = async (path: string) => {
      const started = performance.now();
      const response = await fetch(`${api.url}${path}`);
      await response.arrayBuffer();
      return { status: response.status, ms: performance.now() - started };
    };
    // 200 logins with distinct names: each passes the per-name budgets, so only the hashing cap holds them.
    const flood = Array.from({ length: 200 }, () =>
      api.call('POST', '/api/auth/login', { json: { login: randomName('bogus'), password: 'guessing password' } }),
    );
    // While the flood is in flight: once its first answer is back, the server holds the rest.
    await Promise.race(flood);
    const staticFile = await timed('/app.js');
    const health = await timed('/healthz');
    const replies = await Promise.all(flood);

    expect(staticFile.status).toBe(200);
    expect(health.status).toBe(200);
    // Without the cap, the static file waits behind every scrypt job on the thread pool (seconds).
    expect(staticFile.ms).toBeLessThan(1000);
    expect(health.ms).toBeLessThan(1000);

    const statuses = replies.map((r) => r.status);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    // At most concurrency + queue were hashed at once; the rest were refused straight away.
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(100);
    for (const reply of replies.filter((r) => r.status === 429)) {
      expectError(reply, 429, 'rate_limited');
      expect(reply.headers.get('retry-after')).toBe('1');
    }

    // After the flood, the good user logs in.
    const ok = await api.call('POST', '/api/auth/login', { json: { login: good.username, password: good.password } });
    expect(ok.status).toBe(200);
  });
});
