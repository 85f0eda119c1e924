import { brokerBackends } from '@chorus/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, randomName, startTestApi, storeBackends, type TestApi } from './support.js';

const randomAddress = () => `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;

/** Signs up from a fresh address: this file's sign-up budget is tiny and Redis keeps it across runs. */
async function signupUser(api: TestApi, prefix: string): Promise<{ id: string; username: string; token: string }> {
  const username = randomName(prefix);
  const reply = await api.call('POST', '/api/auth/signup', {
    json: { username, email: `${username}@example.test`, password: 'long enough password' },
    headers: { 'x-forwarded-for': randomAddress() },
  });
  expect(reply.status).toBe(201);
  return { id: reply.body.user.id, username, token: reply.body.token };
}

// Two api replicas over one store, both with REDIS_URL: the limits are the cluster's, not each process's.
describe.runIf(brokerBackends().includes('redis'))('rate limits shared by api replicas through Redis', () => {
  let a: TestApi;
  let b: TestApi;

  beforeAll(async () => {
    const env = {
      REDIS_URL: process.env.REDIS_URL!,
      HTTP_SEND_BURST: '4',
      HTTP_SEND_RATE_PER_SECOND: '1',
      // Sign-ups are keyed by address: a random forwarded address per run, since Redis keeps counters across runs.
      TRUST_PROXY: '127.0.0.1',
      SIGNUPS_PER_HOUR: '2',
      LOGIN_ACCOUNT_ATTEMPTS_PER_MINUTE: '6',
      MEMBERSHIP_BURST: '2',
      MEMBERSHIP_RATE_PER_MINUTE: '1',
    };
    a = await startTestApi(storeBackends()[0]!, { env });
    b = await startTestApi(a.kind, { env, store: a.store });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('counts login attempts for one login across replicas', async () => {
    const user = await signupUser(a, 'shared');
    const attempt = (api: TestApi) => api.call('POST', '/api/auth/login', { json: { login: user.username, password: 'wrong password' } });
    const { loginAttemptsPerMinute } = a.config.limits;
    const statuses: number[] = [];
    for (let i = 0; i < loginAttemptsPerMinute; i++) statuses.push((await attempt(i % 2 === 0 ? a : b)).status);
    expect(statuses).toEqual(statuses.map(() => 401));
    // Each replica saw only half of them; together they used the budget.
    expectError(await attempt(a), 429, 'rate_limited');
    expectError(await attempt(b), 429, 'rate_limited');
  });

  it('counts HTTP sends per user across replicas', async () => {
    const user = await signupUser(a, 'sender');
    const room = (await a.call('POST', '/api/rooms', { token: user.token, json: { name: randomName('shared') } })).body;
    const send = (api: TestApi, text: string) => api.call('POST', `/api/rooms/${room.id}/messages`, { token: user.token, json: { text } });
    const statuses = [(await send(a, 'one')).status, (await send(b, 'two')).status, (await send(a, 'three')).status, (await send(b, 'four')).status];
    expect(statuses).toEqual([201, 201, 201, 201]);
    expectError(await send(a, 'five'), 429, 'rate_limited');
    expect(await a.store.lastSeq(room.id)).toBe(4);
  });


  it('counts sign-ups per address across replicas', async () => {
    const headers = { 'x-forwarded-for': randomAddress() };
    const signup = (api: TestApi) => {
      const username = randomName('su');
      return api.call('POST', '/api/auth/signup', { json: { username, email: `${username}@example.test`, password: 'long enough password' }, headers });
    };
    expect([(await signup(a)).status, (await signup(b)).status]).toEqual([201, 201]);
    expectError(await signup(a), 429, 'rate_limited');
    expectError(await signup(b), 429, 'rate_limited');
  });

  it('counts login attempts per account from many addresses across replicas', async () => {
    const user = await signupUser(a, 'account');
    const attempt = (api: TestApi) =>
      api.call('POST', '/api/auth/login', { json: { login: user.username, password: 'wrong password' }, headers: { 'x-forwarded-for': randomAddress() } });
    const statuses: number[] = [];
    for (let i = 0; i < a.config.limits.loginAccountAttemptsPerMinute; i++) statuses.push((await attempt(i % 2 === 0 ? a : b)).status);
    expect(statuses).toEqual(statuses.map(() => 401));
    expectError(await attempt(a), 429, 'rate_limited');
    expectError(await attempt(b), 429, 'rate_limited');
  });

  it('counts membership changes per user across replicas', async () => {
    const owner = await signupUser(a, 'owner');
    const user = await signupUser(a, 'member');
    const room = (await a.call('POST', '/api/rooms', { token: owner.token, json: { name: randomName('shared') } })).body;
    expect((await a.call('POST', `/api/rooms/${room.id}/join`, { token: user.token })).status).toBe(200);
    expect((await b.call('POST', `/api/rooms/${room.id}/leave`, { token: user.token })).status).toBe(204);
    expectError(await a.call('POST', `/api/rooms/${room.id}/join`, { token: user.token }), 429, 'rate_limited');
    expectError(await b.call('POST', `/api/rooms/${room.id}/join`, { token: user.token }), 429, 'rate_limited');
  });
});
