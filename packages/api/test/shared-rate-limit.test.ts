import { brokerBackends } from '@chorus/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, randomName, startTestApi, storeBackends, type TestApi } from './support.js';

// Two api replicas over one store, both with REDIS_URL: the limits are the cluster's, not each process's.
describe.runIf(brokerBackends().includes('redis'))('rate limits shared by api replicas through Redis', () => {
  let a: TestApi;
  let b: TestApi;

  beforeAll(async () => {
    const env = { REDIS_URL: process.env.REDIS_URL!, HTTP_SEND_BURST: '4', HTTP_SEND_RATE_PER_SECOND: '1' };
    a = await startTestApi(storeBackends()[0]!, { env });
    b = await startTestApi(a.kind, { env, store: a.store });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('counts login attempts for one login across replicas', async () => {
    const user = await a.signup('shared');
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
    const user = await a.signup('sender');
    const room = (await a.call('POST', '/api/rooms', { token: user.token, json: { name: randomName('shared') } })).body;
    const send = (api: TestApi, text: string) => api.call('POST', `/api/rooms/${room.id}/messages`, { token: user.token, json: { text } });
    const statuses = [(await send(a, 'one')).status, (await send(b, 'two')).status, (await send(a, 'three')).status, (await send(b, 'four')).status];
    expect(statuses).toEqual([201, 201, 201, 201]);
    expectError(await send(a, 'five'), 429, 'rate_limited');
    expect(await a.store.lastSeq(room.id)).toBe(4);
  });
});
