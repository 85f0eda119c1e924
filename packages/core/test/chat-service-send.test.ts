import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import type { Histogram } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { topics } from '../src/broker/topics.js';
import { ChorusError } from '../src/errors.js';
import { ChatService } from '../src/messaging/chat-service.js';
import { createMetrics } from '../src/observability/metrics.js';
import { storeBackends } from '../src/testing/index.js';
import { actor, expectChorusError, useChatFixture } from './support/chat-fixture.js';

// The send hot path: membership is checked inside the append statement (one query per send).
describe.each(storeBackends())('membership-checked send (%s)', (backend) => {
  const fx = useChatFixture(backend);

  const { newUser, newRoom } = fx;

  const text = (roomId: string, senderId: string, body: string) => ({ roomId, senderId, text: body });

  it('appendMemberMessages stores for members and writes nothing for anyone else', async () => {
    const owner = await newUser();
    const outsider = await newUser();
    const room = await newRoom(owner);
    const [stored] = await fx.store.appendMemberMessages([text(room.id, owner.id, 'hi')]);
    expect(stored).toMatchObject({ roomId: room.id, seq: 1, text: 'hi', sender: { id: owner.id, username: owner.username } });
    expect(
      await fx.store.appendMemberMessages([
        text(room.id, outsider.id, 'x'),
        text(randomUUID(), owner.id, 'x'),
        text('not-a-uuid', owner.id, 'x'),
        text(room.id, randomUUID(), 'x'),
      ]),
    ).toEqual([null, null, null, null]);
    expect(await fx.store.lastSeq(room.id)).toBe(1);
    // After joining (join message is seq 2) the outsider may send.
    await fx.store.addMember(room.id, outsider.id);
    expect((await fx.store.appendMemberMessages([text(room.id, outsider.id, 'now')]))[0]?.seq).toBe(3);
    // After leaving, nothing is written again.
    await fx.store.removeMember(room.id, outsider.id);
    expect(await fx.store.appendMemberMessages([text(room.id, outsider.id, 'x')])).toEqual([null]);
    expect((await fx.store.listMessages(room.id, { after: 0, limit: 10 })).map((m) => m.text)).toEqual(['hi', `${outsider.username} joined`, 'now', `${outsider.username} left`]);
  });

  it('appendMemberMessages group-commits across rooms and senders: consecutive seqs per room in input order, with push jobs where someone may be notified', async () => {
    const owner = await newUser();
    const other = await newUser();
    const outsider = await newUser();
    const first = await newRoom(owner);
    const second = await newRoom(other);
    await fx.store.addMember(first.id, other.id); // seq 1 of the first room
    // Other can be notified of owner's messages in the first room; nobody of other's in the second.
    await fx.store.upsertDevice(other.id, 'tok-' + other.id, 'android');
    const batch = await fx.store.appendMemberMessages([
      text(first.id, owner.id, 'a'),
      text(second.id, other.id, 'x'),
      text(first.id, outsider.id, 'refused'),
      text(first.id, other.id, 'b 👋'),
      text(second.id, other.id, 'y'),
      text(first.id, owner.id, 'c'),
    ]);
    expect(batch.map((m) => m && [m.roomId === first.id ? 'first' : 'second', m.seq, m.text, m.sender.username])).toEqual([
      ['first', 2, 'a', owner.username],
      ['second', 1, 'x', other.username],
      null,
      ['first', 3, 'b 👋', other.username],
      ['second', 2, 'y', other.username],
      ['first', 4, 'c', owner.username],
    ]);
    expect(new Set(batch.map((m) => m?.id)).size).toBe(6);
    expect(await fx.store.appendMemberMessages([])).toEqual([]);
    // A NUL cannot be stored: the whole statement is refused and nothing is written.
    await expect(fx.store.appendMemberMessages([text(first.id, owner.id, 'ok'), text(second.id, other.id, 'bad\u0000')])).rejects.toBeInstanceOf(ChorusError);
    expect(await fx.store.lastSeq(first.id)).toBe(4);
    expect(await fx.store.lastSeq(second.id)).toBe(2);
    const { rows } = await fx.db.query<{ n: string | number }>('SELECT count(*) AS n FROM push_outbox WHERE room_id = ANY($1::uuid[])', [[first.id, second.id]]);
    expect(Number(rows[0]!.n)).toBe(2);
  });

  it('concurrent batches over the same rooms in opposite orders neither deadlock nor leave gaps', async () => {
    const owner = await newUser();
    const rooms = await Promise.all(Array.from({ length: 4 }, () => newRoom(owner)));
    const batches = Array.from({ length: 12 }, (_, i) => {
      const ordered = i % 2 === 0 ? rooms : [...rooms].reverse();
      return fx.store.appendMemberMessages(ordered.flatMap((room) => [text(room.id, owner.id, `b${i}`), text(room.id, owner.id, `b${i}'`)]));
    });
    const results = (await Promise.all(batches)).flat();
    expect(results.every((m) => m !== null)).toBe(true);
    for (const room of rooms) {
      const history = await fx.store.listMessages(room.id, { after: 0, limit: 100 });
      expect(history.map((m) => m.seq)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
      // A batch's two messages for a room are adjacent and in input order.
      for (let i = 0; i < history.length; i += 2) expect(history[i + 1]!.text).toBe(`${history[i]!.text}'`);
    }
  });

  it('ChatService groups concurrent sends into shared statements, and one refused send does not fail the others', async () => {
    const owner = await newUser();
    const outsider = await newUser();
    const room = await newRoom(owner);
    const metrics = createMetrics('test');
    const grouped = new ChatService({ store: fx.store, broker: fx.broker, metrics, logger: pino({ level: 'silent' }), maxMessageLength: 100 });
    const sends = Array.from({ length: 30 }, (_, i) => grouped.send(actor(owner), room.id, `g${i}`, 'http'));
    const refused = grouped.send(actor(outsider), room.id, 'no', 'http');
    await expectChorusError(refused, 'forbidden', 'not a member of this room');
    const sent = await Promise.all(sends);
    // Submitted in one turn of the event loop: stored in submission order with consecutive seqs.
    expect(sent.map((m) => m.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const batches = await observations(metrics.appendBatchSize);
    expect(batches).toBeLessThan(30);
    // Each send here is its own submission: each is observed once (the refused one's first attempt too), every statement's round trip once.
    expect(await observations(metrics.appendDuration)).toBe(31);
    expect(await observations(metrics.appendCommitDuration)).toBe(batches);
  });

  it('ChatService.sendMany stores in order and publishes each message once', async () => {
    const owner = await newUser();
    const room = await newRoom(owner);
    const published: number[] = [];
    const unsubscribe = await fx.broker.subscribe(topics.room(room.id), (payload) => published.push((JSON.parse(payload) as { seq: number }).seq));
    const sent = await fx.chat.sendMany(actor(owner), room.id, ['one', 'two', 'three'], 'stomp');
    expect(sent.map((m) => m.text)).toEqual(['one', 'two', 'three']);
    await expect.poll(() => published.length).toBe(3);
    expect(published).toEqual([1, 2, 3]);
    await expectChorusError(fx.chat.sendMany(actor(owner), room.id, ['ok', 'x'.repeat(101)], 'stomp'), 'payload_too_large', 'text is longer than 100 characters');
    expect(await fx.store.lastSeq(room.id)).toBe(3);
    await unsubscribe();
  });

  it('ChatService.send stores and publishes for a member, with gap-free seqs under concurrency', async () => {
    const owner = await newUser();
    const room = await newRoom(owner);
    const published: number[] = [];
    const unsubscribe = await fx.broker.subscribe(topics.room(room.id), (payload) => published.push((JSON.parse(payload) as { seq: number }).seq));
    const sent = await Promise.all(Array.from({ length: 20 }, (_, i) => fx.chat.send(actor(owner), room.id, `m${i}`, 'stomp')));
    expect(sent.map((m) => m.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await expect.poll(() => published.length).toBe(20);
    await unsubscribe();
  });

  it('ChatService.send refuses with the same errors as before: 404 unknown/private, 403 public non-member', async () => {
    const owner = await newUser();
    const outsider = await newUser();
    const open = await newRoom(owner);
    const secret = await newRoom(owner, true);
    await expectChorusError(fx.chat.send(actor(outsider), open.id, 'x', 'stomp'), 'forbidden', 'not a member of this room');
    await expectChorusError(fx.chat.send(actor(outsider), secret.id, 'x', 'stomp'), 'not_found', 'room not found');
    await expectChorusError(fx.chat.send(actor(owner), randomUUID(), 'x', 'stomp'), 'not_found', 'room not found');
    await expectChorusError(fx.chat.send(actor(owner), 'nope', 'x', 'stomp'), 'not_found', 'room not found');
    await expect(fx.chat.send(actor(owner), open.id, '', 'stomp')).rejects.toBeInstanceOf(ChorusError);
    expect(await fx.store.lastSeq(open.id)).toBe(0);
    expect(await fx.store.lastSeq(secret.id)).toBe(0);
  });
});

/** How many values a histogram has observed. */
async function observations(histogram: Histogram): Promise<number> {
  return (await histogram.get()).values.find((v) => v.metricName?.endsWith('_count'))!.value;
}
