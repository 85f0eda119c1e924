import { createLogger, createMetrics, MemoryBroker, topics, type Message, type TopicHandler } from '@chorus/core';
import { describe, expect, it, vi } from 'vitest';
import { ROOM_EVENTS, ROOM_MESSAGES, TopicRegistry, USER_EVENTS } from '../src/fanout/topic-registry.js';

/** The in-process broker, counting the subscriptions it holds. */
class CountingBroker extends MemoryBroker {
  active = 0;
  override async subscribe(topic: string, handler: TopicHandler): Promise<() => Promise<void>> {
    const unsubscribe = await super.subscribe(topic, handler);
    this.active++;
    return async () => {
      this.active--;
      await unsubscribe();
    };
  }
}

const message: Message = {
  id: '11111111-1111-4111-8111-111111111111',
  roomId: '22222222-2222-4222-8222-222222222222',
  seq: 1,
  type: 'text',
  sender: { id: 'u1', username: 'ann' },
  text: 'hi',
  createdAt: new Date(0).toISOString(),
};

function setup() {
  const broker = new CountingBroker();
  const metrics = createMetrics('test');
  const registry = new TopicRegistry(broker, metrics, createLogger({ level: 'silent', name: 'test' }));
  return { broker, metrics, registry };
}

/** A listener that records what it is given. */
function collect<T>(): { seen: [T, string][]; listener: (event: T, payload: string) => void } {
  const seen: [T, string][] = [];
  return { seen, listener: (event, payload) => seen.push([event, payload]) };
}

describe('TopicRegistry', () => {
  it('takes one broker subscription per topic and hands every listener the same parsed event', async () => {
    const { broker, registry } = setup();
    const topic = topics.room(message.roomId);
    const a = collect<Message>();
    const b = collect<Message>();
    const stopA = await registry.listen(ROOM_MESSAGES, topic, a.listener);
    const stopB = await registry.listen(ROOM_MESSAGES, topic, b.listener);
    expect(broker.active).toBe(1);

    const payload = JSON.stringify(message);
    await broker.publish(topic, payload);
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    expect(a.seen).toHaveLength(1);
    expect(a.seen[0]![0]).toEqual(message);
    expect(a.seen[0]![1]).toBe(payload);
    // Parsed once: both listeners get the very same object.
    expect(b.seen[0]![0]).toBe(a.seen[0]![0]);

    stopA();
    expect(broker.active).toBe(1);
    stopB();
    stopB();
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(broker.active).toBe(0);
  });

  it('drops a room message every listener has seen without parsing it, and delivers the rest', async () => {
    const { broker, registry } = setup();
    const topic = topics.room(message.roomId);
    const a = collect<Message>();
    const b = collect<Message>();
    let aSeen = 3;
    let bSeen = 1;
    await registry.listen(ROOM_MESSAGES, topic, a.listener, () => aSeen);
    await registry.listen(ROOM_MESSAGES, topic, b.listener, () => bSeen);
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const at = (seq: number) => JSON.stringify({ ...message, seq });
      await broker.publish(topic, at(2)); // b has not seen 2: parsed, both listeners get it
      bSeen = 3;
      await broker.publish(topic, at(3)); // both have seen 3: dropped unparsed
      await broker.publish(topic, at(4));
      // A payload whose seq cannot be read without parsing is parsed as before.
      await broker.publish(topic, JSON.stringify({ seq: 1, id: message.id, roomId: message.roomId, sender: message.sender }));
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(a.seen.map(([m]) => m.seq)).toEqual([2, 4, 1]);
      expect(b.seen.map(([m]) => m.seq)).toEqual([2, 4, 1]);
      expect(parse).toHaveBeenCalledTimes(3);
    } finally {
      parse.mockRestore();
    }
    aSeen = 10;
    // A listener that says nothing of what it has seen gets every payload.
    const c = collect<Message>();
    await registry.listen(ROOM_MESSAGES, topic, c.listener);
    await broker.publish(topic, JSON.stringify({ ...message, seq: 5 }));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(c.seen.map(([m]) => m.seq)).toEqual([5]);
  });

  it('drops a malformed payload before any listener, counting it', async () => {
    const { broker, metrics, registry } = setup();
    const topic = topics.user('u1');
    const a = collect<unknown>();
    await registry.listen(USER_EVENTS, topic, a.listener);
    await broker.publish(topic, '{"no":"type"}');
    await broker.publish(topic, 'not json');
    await broker.publish(topic, JSON.stringify({ type: 'read', roomId: 'r', lastReadSeq: 3 }));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(a.seen.map(([event]) => event)).toEqual([{ type: 'read', roomId: 'r', lastReadSeq: 3 }]);
    const counted = (await metrics.deliveryErrors.get()).values.find((v) => v.labels.reason === 'bad_payload');
    expect(counted?.value).toBe(2);
  });

  it('refuses a listener that reads a topic as another kind', async () => {
    const { registry } = setup();
    const topic = topics.roomEvents(message.roomId);
    await registry.listen(ROOM_EVENTS, topic, () => {});
    await expect(registry.listen(ROOM_MESSAGES, topic, () => {})).rejects.toThrow(/carries room events/);
  });
});
