import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePublishMany, PublishBatch, type PublishTarget } from '../src/broker/redis-publish-batch.js';
import { brokerBackends } from '../src/testing/brokers.js';
import { Collector } from './support/waiting.js';

/** A ready publishing connection, and a target counting its PUBLISH and script calls (the commands still go to Redis). */
async function countingRedis(url: string): Promise<{ redis: Redis; target: PublishTarget; calls: { publish: number; script: number } }> {
  const redis = definePublishMany(new Redis(url, { enableAutoPipelining: true, maxRetriesPerRequest: 0, enableOfflineQueue: false }));
  await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  const calls = { publish: 0, script: 0 };
  const target: PublishTarget = {
    publish: (channel, message) => (calls.publish++, redis.publish(channel, message)),
    publishMany: (...args) => (calls.script++, redis.publishMany(...args)),
  };
  return { redis, target, calls };
}

describe.runIf(brokerBackends().includes('redis'))('PublishBatch (Redis)', () => {
  const url = process.env.REDIS_URL as string;
  let subscriber: Redis;
  const received = new Map<string, Collector>();

  beforeAll(async () => {
    subscriber = new Redis(url);
    // A SUBSCRIBE sent before ioredis's ready check breaks the connection (see redis-subscriber.ts).
    await new Promise<void>((resolve) => subscriber.once('ready', () => resolve()));
    subscriber.on('message', (channel: string, payload: string) => received.get(channel)?.handler(payload));
  });
  afterAll(() => subscriber.disconnect());

  async function listen(): Promise<{ channel: string; collector: Collector }> {
    const channel = `chorus:test:batch:${randomUUID()}`;
    const collector = new Collector();
    received.set(channel, collector);
    await subscriber.subscribe(channel);
    return { channel, collector };
  }

  it('sends a turn of few publishes as plain PUBLISH and a larger one as script calls of at most maxScript', async () => {
    const { redis, target, calls } = await countingRedis(url);
    try {
      const batch = new PublishBatch(target, { minScript: 4, maxScript: 10 });
      const { channel, collector } = await listen();
      await Promise.all(['a', 'b', 'c'].map((p) => batch.publish(channel, p)));
      expect(calls).toEqual({ publish: 3, script: 0 });
      const many = Array.from({ length: 25 }, (_, i) => `m${i}`);
      await Promise.all(many.map((p) => batch.publish(channel, p)));
      expect(calls).toEqual({ publish: 3, script: 3 }); // 10 + 10 + 5
      expect(await collector.waitFor(28)).toEqual(['a', 'b', 'c', ...many]);
    } finally {
      redis.disconnect();
    }
  });

  it('keeps order within and across turns of every size, over several channels, payloads byte for byte', async () => {
    const { redis, target } = await countingRedis(url);
    try {
      const batch = new PublishBatch(target, { minScript: 8, maxScript: 64 });
      const channels = [await listen(), await listen()];
      const sent: string[][] = [[], []];
      const odd = ['', 'héllo 👋 \n \u0000', ' spaced \r\n lines ', 'x'.repeat(100_000), '{"quoted":"\\"yes\\""}'];
      let n = 0;
      for (const size of [1, 3, 8, 300, 2, 65, 1]) {
        const turn: Array<Promise<void>> = [];
        for (let i = 0; i < size; i++, n++) {
          const k = n % 2;
          const payload = n % 50 < odd.length ? `${n}:${odd[n % 50]}` : String(n);
          sent[k]!.push(payload);
          turn.push(batch.publish(channels[k]!.channel, payload));
        }
        await Promise.all(turn);
      }
      for (const [k, { collector }] of channels.entries()) expect(await collector.waitFor(sent[k]!.length)).toEqual(sent[k]);
    } finally {
      redis.disconnect();
    }
  });

  it('rejects every publish of a batch when Redis cannot take it', async () => {
    const { redis, target, calls } = await countingRedis(url);
    redis.disconnect();
    const batch = new PublishBatch(target, { minScript: 4 });
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => batch.publish('chorus:test:batch:nobody', String(i))));
    expect(results.map((r) => r.status)).toEqual(Array(12).fill('rejected'));
    const few = await Promise.allSettled([batch.publish('chorus:test:batch:nobody', 'one')]);
    expect(few[0]!.status).toBe('rejected');
    expect(calls).toEqual({ publish: 1, script: 1 });
  });
});

describe('PublishBatch, a command that throws instead of rejecting', () => {
  it('rejects the publishes it carried, in both paths, and keeps working', async () => {
    let throwing = true;
    const sent: string[] = [];
    const target: PublishTarget = {
      publish: async (_channel, message) => {
        if (throwing) throw new Error('driver threw');
        sent.push(message);
      },
      publishMany: (...args) => {
        if (throwing) throw new Error('driver threw synchronously');
        for (let i = 1; i < args.length; i += 2) sent.push(args[i]!);
        return Promise.resolve(args.length / 2);
      },
    };
    const batch = new PublishBatch(target, { minScript: 3 });
    const few = await Promise.allSettled([batch.publish('t', 'a')]);
    const many = await Promise.allSettled(['b', 'c', 'd'].map((p) => batch.publish('t', p)));
    expect([...few, ...many].map((r) => r.status)).toEqual(Array(4).fill('rejected'));
    throwing = false;
    await Promise.all(['e', 'f', 'g'].map((p) => batch.publish('t', p)));
    expect(sent).toEqual(['e', 'f', 'g']);
  });
});
