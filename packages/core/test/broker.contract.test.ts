import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Broker } from '../src/broker/broker.js';
import { MemoryBroker } from '../src/broker/memory-broker.js';
import { ChorusError } from '../src/errors.js';
import { brokerBackends, createTestBroker } from '../src/testing/brokers.js';
import { Collector } from './support/waiting.js';

const topic = () => `chorus:test:${randomUUID()}`;

describe.each(brokerBackends())('Broker contract: %s', (kind) => {
  const logLines: string[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => void logLines.push(line) });
  let local: Broker;
  /** The broker of another process. The memory broker only connects one process, so there it is `local`. */
  let remote: Broker;
  let inspector: Redis | undefined;

  beforeAll(async () => {
    local = await createTestBroker(kind, { logger, name: 'contract-local' });
    remote = kind === 'redis' ? await createTestBroker(kind, { logger, name: 'contract-remote' }) : local;
    if (kind === 'redis') inspector = new Redis(process.env.REDIS_URL as string, { lazyConnect: true });
    await inspector?.connect();
  });

  afterAll(async () => {
    await local?.close();
    if (remote !== local) await remote?.close();
    inspector?.disconnect();
  });

  /** Upstream subscriptions this test's brokers hold for the topic (Redis: PUBSUB NUMSUB). */
  async function upstream(name: string): Promise<number> {
    if (!inspector) return (local as MemoryBroker).hasSubscribers(name) ? 1 : 0;
    const reply = (await inspector.pubsub('NUMSUB', name)) as [string, number | string];
    return Number(reply[1]);
  }

  it('is ready once created', () => {
    expect(local.state).toBe('ready');
  });

  it('delivers to every handler of the topic, in this process and another', async () => {
    const name = topic();
    const localA = new Collector();
    const localB = new Collector();
    const remoteC = new Collector();
    await local.subscribe(name, localA.handler);
    await local.subscribe(name, localB.handler);
    await remote.subscribe(name, remoteC.handler);

    await local.publish(name, 'from-local');
    await remote.publish(name, 'from-remote');

    for (const collector of [localA, localB, remoteC]) {
      expect(await collector.waitFor(2)).toEqual(['from-local', 'from-remote']);
    }
  });

  it('delivers a process its own publications', async () => {
    const name = topic();
    const own = new Collector();
    await local.subscribe(name, own.handler);
    await local.publish(name, 'self');
    expect(await own.waitFor(1)).toEqual(['self']);
  });

  it('forwards payloads untouched', async () => {
    const name = topic();
    const received = new Collector();
    await remote.subscribe(name, received.handler);
    const payloads = ['{"text":"héllo 👋 \\n \\u0000","n":1}', '', ' spaced \r\n lines ', 'x'.repeat(100_000)];
    for (const payload of payloads) await local.publish(name, payload);
    expect(await received.waitFor(payloads.length)).toEqual(payloads);
  });

  it('preserves publish order for 1,000 payloads, locally and remotely', async () => {
    const name = topic();
    const own = new Collector();
    const peer = new Collector();
    await local.subscribe(name, own.handler);
    await remote.subscribe(name, peer.handler);
    const payloads = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ seq: i + 1 }));
    await Promise.all(payloads.map((payload) => local.publish(name, payload)));
    expect(await own.waitFor(1000)).toEqual(payloads);
    expect(await peer.waitFor(1000)).toEqual(payloads);
  });

  it('does not deliver inside the publish call', async () => {
    const name = topic();
    const received = new Collector();
    await local.subscribe(name, received.handler);
    const publishing = local.publish(name, 'later');
    expect(received.payloads).toEqual([]);
    await publishing;
    expect(await received.waitFor(1)).toEqual(['later']);
  });

  it('holds one upstream subscription per topic, however many handlers', async () => {
    const name = topic();
    const first = new Collector();
    const second = new Collector();
    const unsubscribeFirst = await local.subscribe(name, first.handler);
    const unsubscribeSecond = await local.subscribe(name, second.handler);
    expect(await upstream(name)).toBe(1);

    await unsubscribeFirst();
    expect(await upstream(name)).toBe(1);
    await local.publish(name, 'after-first-left');
    expect(await second.waitFor(1)).toEqual(['after-first-left']);
    expect(first.payloads).toEqual([]);

    await unsubscribeSecond();
    expect(await upstream(name)).toBe(0);
  });

  it('removes exactly one handler per unsubscribe call, even called twice or for a repeated function', async () => {
    const name = topic();
    const twice = new Collector();
    const other = new Collector();
    const unsubscribeTwiceA = await local.subscribe(name, twice.handler);
    await local.subscribe(name, twice.handler);
    await local.subscribe(name, other.handler);

    await local.publish(name, 'one');
    await other.waitFor(1);
    expect(await twice.waitFor(2)).toEqual(['one', 'one']);

    await unsubscribeTwiceA();
    await unsubscribeTwiceA();
    await local.publish(name, 'two');
    await other.waitFor(2);
    expect(twice.payloads).toEqual(['one', 'one', 'two']);
    expect(await upstream(name)).toBe(1);
  });

  it('stops delivery to an unsubscribed handler while the rest keep receiving', async () => {
    const name = topic();
    const leaving = new Collector();
    const staying = new Collector();
    const unsubscribe = await remote.subscribe(name, leaving.handler);
    await remote.subscribe(name, staying.handler);
    await local.publish(name, 'before');
    await leaving.waitFor(1);

    await unsubscribe();
    await local.publish(name, 'after');
    // Both handlers would get 'after' in the same delivery round, so once the staying one has it,
    // the leaving one would have too.
    expect(await staying.waitFor(2)).toEqual(['before', 'after']);
    expect(leaving.payloads).toEqual(['before']);
  });

  it('lets a handler unsubscribe another one mid-delivery', async () => {
    const name = topic();
    const victim = new Collector();
    const witness = new Collector();
    const victimSubscription: { unsubscribe?: () => Promise<void> } = {};
    await local.subscribe(name, () => void victimSubscription.unsubscribe?.());
    victimSubscription.unsubscribe = await local.subscribe(name, victim.handler);
    await local.subscribe(name, witness.handler);
    await local.publish(name, 'p');
    await witness.waitFor(1);
    expect(victim.payloads).toEqual([]);
  });

  it('keeps delivering when a handler throws, and logs the error', async () => {
    const name = topic();
    const before = new Collector();
    const after = new Collector();
    let thrown = 0;
    await local.subscribe(name, before.handler);
    await local.subscribe(name, () => {
      thrown++;
      throw new Error('handler exploded');
    });
    await local.subscribe(name, after.handler);

    await local.publish(name, 'first');
    await local.publish(name, 'second');
    expect(await after.waitFor(2)).toEqual(['first', 'second']);
    expect(before.payloads).toEqual(['first', 'second']);
    expect(thrown).toBe(2);
    expect(logLines.filter((line) => line.includes('handler exploded') && line.includes(name))).toHaveLength(2);
  });

  it('keeps topics apart', async () => {
    const [red, blue] = [topic(), topic()];
    const redReceived = new Collector();
    const blueReceived = new Collector();
    await remote.subscribe(red, redReceived.handler);
    await remote.subscribe(blue, blueReceived.handler);
    await local.publish(red, 'r1');
    await local.publish(blue, 'b1');
    await local.publish(red, 'r2');
    expect(await redReceived.waitFor(2)).toEqual(['r1', 'r2']);
    expect(await blueReceived.waitFor(1)).toEqual(['b1']);
    expect(redReceived.payloads).toEqual(['r1', 'r2']);
  });

  it('ends in the right upstream state after concurrent subscribes and unsubscribes', async () => {
    const name = topic();
    const kept = new Collector();
    const churn = Array.from({ length: 25 }, () =>
      local.subscribe(name, () => {}).then((unsubscribe) => unsubscribe()),
    );
    const keeping = local.subscribe(name, kept.handler);
    await Promise.all(churn);
    const unsubscribeKept = await keeping;
    expect(await upstream(name)).toBe(1);
    await local.publish(name, 'still-here');
    expect(await kept.waitFor(1)).toEqual(['still-here']);

    const [u1, u2] = await Promise.all([local.subscribe(name, () => {}), local.subscribe(name, () => {})]);
    await Promise.all([unsubscribeKept(), u1(), u2()]);
    expect(await upstream(name)).toBe(0);

    // Subscribe racing the last unsubscribe: the new handler must end up subscribed.
    const last = await local.subscribe(name, () => {});
    const late = new Collector();
    const [, unsubscribeLate] = await Promise.all([last(), local.subscribe(name, late.handler)]);
    expect(await upstream(name)).toBe(1);
    await local.publish(name, 'late');
    expect(await late.waitFor(1)).toEqual(['late']);
    await unsubscribeLate();
    expect(await upstream(name)).toBe(0);
  });

  it('rejects publish and subscribe after close with ChorusError(unavailable)', async () => {
    const closing = await createTestBroker(kind, { logger, name: 'contract-closing' });
    await closing.close();
    await expect(closing.publish(topic(), 'x')).rejects.toMatchObject({ code: 'unavailable' });
    await expect(closing.subscribe(topic(), () => {})).rejects.toBeInstanceOf(ChorusError);
  });
});
