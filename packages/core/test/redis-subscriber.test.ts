import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { subscribeWhenReady } from '../src/broker/redis-subscriber.js';
import { brokerBackends } from '../src/testing/brokers.js';
import { within } from './support/waiting.js';

describe.runIf(brokerBackends().includes('redis'))('subscribeWhenReady', () => {
  const url = process.env.REDIS_URL as string;

  it('refuses while the connection is connected but not ready, leaving the connection intact, then subscribes once ready', async () => {
    const connection = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, autoResubscribe: false });
    const errors: Error[] = [];
    connection.on('error', (err: Error) => errors.push(err));
    try {
      // 'connect' comes after the socket opens and before ioredis's ready check: the window in question.
      const early = await within(
        new Promise<PromiseSettledResult<void>>((resolve) => {
          connection.once('connect', () => void Promise.allSettled([subscribeWhenReady(connection, 'chorus:test:early')]).then(([r]) => resolve(r!)));
        }),
        5000,
        'the connect event',
      );
      expect(early.status).toBe('rejected');
      expect((early as PromiseRejectedResult).reason.message).toMatch(/not ready/);

      await within(new Promise<void>((resolve) => connection.once('ready', () => resolve())), 5000, 'ready');
      const channel = `chorus:test:sub:${randomUUID()}`;
      const received = new Promise<string>((resolve) => connection.once('message', (_channel: string, payload: string) => resolve(payload)));
      await subscribeWhenReady(connection, channel);
      const publisher = new Redis(url);
      try {
        await publisher.publish(channel, 'after ready');
        expect(await within(received, 5000, 'the published message')).toBe('after ready');
      } finally {
        publisher.disconnect();
      }
      expect(errors).toEqual([]);
    } finally {
      connection.disconnect();
    }
  });
});
