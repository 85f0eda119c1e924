import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrokerState } from '../src/broker/broker.js';
import { openBroker } from '../src/broker/open-broker.js';
import { RedisBroker, redactRedisUrl } from '../src/broker/redis-broker.js';
import { loadConfig } from '../src/config/config.js';
import { createMetrics } from '../src/observability/metrics.js';
import { freePort, ThrowawayRedis } from '../src/testing/redis-server.js';
import { Collector, within } from './support/waiting.js';

const logger = pino({ level: 'silent' });

/** The next time the broker enters `state`. */
function nextState(broker: RedisBroker, state: BrokerState): Promise<void> {
  return new Promise((resolve) => {
    const stop = broker.onStateChange((current) => {
      if (current !== state) return;
      stop();
      resolve();
    });
  });
}

async function numsub(url: string, topic: string): Promise<number> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await client.connect();
    const reply = (await client.pubsub('NUMSUB', topic)) as [string, number | string];
    return Number(reply[1]);
  } finally {
    client.disconnect();
  }
}

async function gaugeValue(metrics: ReturnType<typeof createMetrics>): Promise<number | undefined> {
  return (await metrics.brokerUp.get()).values[0]?.value;
}

describe('RedisBroker across a Redis restart', () => {
  let server: ThrowawayRedis;
  let broker: RedisBroker;
  const metrics = createMetrics('broker-reconnect-test');
  const states: BrokerState[] = [];
  let reconnects = 0;

  beforeAll(async () => {
    server = await ThrowawayRedis.start();
    broker = new RedisBroker({ url: server.url, logger, metrics, name: 'reconnect-test', reconnectDelay: { initialMs: 20, maxMs: 200 } });
    broker.onStateChange((state) => states.push(state));
    broker.onReconnect(() => reconnects++);
    expect(broker.state).toBe('connecting');
    await broker.waitUntilReady(5000);
  });

  afterAll(async () => {
    await broker?.close();
    await server?.stop();
  });

  it('goes down, fails fast, and comes back with its subscriptions', async () => {
    const topic = `chorus:test:${randomUUID()}`;
    const received = new Collector();
    await broker.subscribe(topic, received.handler);
    await broker.publish(topic, 'before');
    await received.waitFor(1);
    expect(states).toEqual(['ready']);
    expect(reconnects).toBe(0);
    expect(await gaugeValue(metrics)).toBe(1);

    const down = nextState(broker, 'down');
    await server.stop();
    await within(down, 5000, "state 'down'");
    expect(broker.state).toBe('down');
    expect(await gaugeValue(metrics)).toBe(0);

    const errorsBefore = (await metrics.brokerErrors.get()).values[0]?.value ?? 0;
    await expect(within(broker.publish(topic, 'lost'), 1000, 'publish to reject')).rejects.toMatchObject({
      name: 'ChorusError',
      code: 'unavailable',
    });
    await expect(within(broker.subscribe(`chorus:test:${randomUUID()}`, () => {}), 1000, 'subscribe to reject')).rejects.toMatchObject({
      code: 'unavailable',
    });
    expect((await metrics.brokerErrors.get()).values[0]?.value).toBe(errorsBefore + 2);

    const ready = nextState(broker, 'ready');
    const reconnected = new Promise<BrokerState>((resolve) => {
      const stop = broker.onReconnect(() => {
        stop();
        resolve(broker.state);
      });
    });
    await server.restart();
    await within(ready, 10_000, "state 'ready' after restart");
    // The listener ran after the state was back to 'ready', i.e. after every topic was subscribed again.
    expect(await within(reconnected, 1000, 'onReconnect')).toBe('ready');
    expect(reconnects).toBe(1);
    expect(states).toEqual(['ready', 'down', 'ready']);
    expect(await gaugeValue(metrics)).toBe(1);

    // The restarted server knows nothing of the old subscription: it was issued again.
    expect(await numsub(server.url, topic)).toBe(1);
    await broker.publish(topic, 'after');
    expect(await received.waitFor(2)).toEqual(['before', 'after']);
    expect(received.payloads).not.toContain('lost');
  });
});

describe('openBroker', () => {
  const base = { NODE_ENV: 'test' };

  it('opens the memory broker without REDIS_URL', async () => {
    const opened = await openBroker(loadConfig(base), logger);
    try {
      expect(opened.kind).toBe('memory');
      expect(opened.broker.state).toBe('ready');
      expect(opened.description).toMatch(/memory/);
    } finally {
      await opened.broker.close();
    }
  });

  it('opens a ready Redis broker', async () => {
    const server = await ThrowawayRedis.start();
    try {
      const opened = await openBroker(loadConfig({ ...base, REDIS_URL: server.url }), logger);
      try {
        expect(opened.kind).toBe('redis');
        expect(opened.broker.state).toBe('ready');
        expect(opened.description).toContain(`127.0.0.1:${server.port}`);
      } finally {
        await opened.broker.close();
      }
    } finally {
      await server.stop();
    }
  });

  it('keeps passwords out of descriptions', () => {
    const redacted = redactRedisUrl('redis://chorus:s3cret@redis.internal:6380/2');
    expect(redacted).not.toContain('s3cret');
    expect(redacted).toContain('chorus:***@redis.internal:6380/2');
    expect(redactRedisUrl('not a url')).toBe('<invalid url>');
  });

  it('fails start-up with a clear error when Redis is unreachable', async () => {
    const port = await freePort();
    const config = loadConfig({ ...base, REDIS_URL: `redis://127.0.0.1:${port}` });
    const opening = openBroker(config, logger, undefined, { connectTimeoutMs: 500 });
    await expect(within(opening, 5000, 'openBroker to fail')).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining(`127.0.0.1:${port}`),
    });
  });
});
