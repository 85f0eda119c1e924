import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FcmPushSender } from '../src/fcm-sender.js';
import { LogPushSender } from '../src/log-sender.js';
import type { PushNotification, PushSender } from '../src/push-sender.js';
import type { FakeFcm } from './support/fake-fcm.js';
import { silentLogger, startFakeFcm } from './support/world.js';

const notification = (token: string): PushNotification => ({
  token,
  platform: 'web',
  collapseKey: 'room-contract',
  title: 'Contract',
  body: 'body',
  data: { roomId: 'contract' },
});

/** The PushSender contract, run against every implementation. */
describe.each(['log', 'fcm'] as const)('PushSender contract (%s)', (kind) => {
  let sender: PushSender;
  let fcm: FakeFcm | undefined;
  let restore: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    if (kind === 'log') {
      sender = new LogPushSender(silentLogger);
      return;
    }
    ({ fcm, restore } = await startFakeFcm());
    sender = new FcmPushSender({ credential: { serviceAccount: fcm.serviceAccount() }, httpAgent: fcm.agent(), transport: 'http1', logger: silentLogger });
  });
  afterAll(async () => {
    await sender?.close();
    await restore?.();
  });

  it('answers an empty batch with no results', async () => {
    expect(await sender.send([])).toEqual([]);
  });

  it('returns one result per notification, in order, without throwing for per-device failures', async () => {
    if (fcm) fcm.script = (send) => (send.message.token === 'bad' ? { status: 404 } : send.message.token === 'busy' ? { status: 500 } : { status: 200 });
    const results = await sender.send(['ok-1', 'bad', 'ok-2', 'busy'].map(notification));
    expect(results).toHaveLength(4);
    expect(results[0]).toEqual({ status: 'sent', messageId: expect.any(String) });
    expect(results[2]).toEqual({ status: 'sent', messageId: expect.any(String) });
    if (kind === 'fcm') {
      expect(results[1]).toEqual({ status: 'invalid-token', reason: expect.stringContaining('registration-token-not-registered') });
      expect(results[3]).toMatchObject({ status: 'retry', reason: expect.stringContaining('internal-error') });
    }
  });
});
