import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { topics } from '../src/broker/topics.js';
import type { Message } from '../src/domain/types.js';
import { ChorusError } from '../src/errors.js';
import { MAX_MENTIONS_PER_MESSAGE, parseMentions } from '../src/messaging/mentions.js';
import { MAX_REACTIONS_PER_MESSAGE, MAX_REACTIONS_PER_USER, validateEmoji } from '../src/messaging/reactions.js';
import { storeBackends } from '../src/testing/index.js';
import { actor, expectChorusError, tag, useChatFixture } from './support/chat-fixture.js';

describe('what a reaction may be', () => {
  it.each(['👍', '👍🏽', '🇫🇷', '1️⃣', '👩‍👩‍👧', '❤️', '🏳️‍🌈'])('accepts %s', (emoji) => {
    expect(validateEmoji(emoji)).toBe(emoji);
  });
  it.each(['', 'a', '1', '#', 'lol', ' 👍', '👍👍', '👍 ', '\u200d', '\ufe0f', '<script>', '😀'.repeat(1000), 'x'.repeat(100_000), 42, null, {}, ['👍']])(
    'refuses %j',
    (value) => {
      expect(() => validateEmoji(value)).toThrow(ChorusError);
    },
  );
});

describe('what a mention is', () => {
  it('finds @usernames, not e-mail addresses, once each, bounded', () => {
    expect(parseMentions('hi @Bob and @bob, mail a@b.example @carol.')).toEqual(['bob', 'carol.', 'carol']);
    expect(parseMentions('no at sign')).toEqual([]);
    const many = Array.from({ length: 1000 }, (_, i) => `@user${i}`).join(' ');
    expect(parseMentions(many)).toHaveLength(MAX_MENTIONS_PER_MESSAGE);
  });
});

describe.each(storeBackends())('reactions and mentions through ChatService (%s)', (backend) => {
  const fx = useChatFixture(backend, { maxMessageLength: 20_000 });

  const { newUser } = fx;
  async function setup(isPrivate = false) {
    const alice = await newUser('alice');
    const bob = await newUser('bob');
    const outsider = await newUser('out');
    const room = await fx.store.createRoom({ name: `room ${tag()}`, private: isPrivate, createdBy: alice.id });
    await fx.store.addMember(room.id, bob.id);
    const message = await fx.chat.send(actor(alice), room.id, 'hello', 'http');
    return { alice, bob, outsider, room, message };
  }

  it('publishes a reaction entry with the next seq, and history marks my reactions', async () => {
    const { alice, bob, room, message } = await setup();
    const published: Message[] = [];
    const off = await fx.broker.subscribe(topics.room(room.id), (payload) => published.push(JSON.parse(payload) as Message));
    const answer = await fx.chat.react(actor(bob), room.id, message.id, '🎉', false, 'http');
    expect(answer).toEqual({ messageId: message.id, reactions: [{ emoji: '🎉', count: 1, mine: true }] });
    expect(published).toEqual([expect.objectContaining({ type: 'reaction', seq: message.seq + 1, targetId: message.id, reaction: { emoji: '🎉' }, reactions: [{ emoji: '🎉', count: 1 }] })]);
    // Again: nothing new is published.
    await fx.chat.react(actor(bob), room.id, message.id, '🎉', false, 'http');
    expect(published).toHaveLength(1);
    const forBob = await fx.chat.history(actor(bob), room.id, { limit: 10, after: message.seq - 1 });
    const forAlice = await fx.chat.history(actor(alice), room.id, { limit: 10, after: message.seq - 1 });
    expect(forBob[0]!.reactions).toEqual([{ emoji: '🎉', count: 1, mine: true }]);
    expect(forAlice[0]!.reactions).toEqual([{ emoji: '🎉', count: 1 }]);
    expect(forBob[1]!.reactions).toEqual([{ emoji: '🎉', count: 1 }]); // the entry: no per-reader marks
    const removed = await fx.chat.react(actor(bob), room.id, message.id, '🎉', true, 'stomp');
    expect(removed.reactions).toEqual([]);
    expect(published[1]).toMatchObject({ type: 'reaction', reaction: { emoji: '🎉', removed: true }, reactions: [] });
    off();
  });

  it('refuses outsiders, bad ids, bad emoji, non-text targets and deleted messages', async () => {
    const { alice, outsider, room, message } = await setup();
    await expectChorusError(fx.chat.react(actor(outsider), room.id, message.id, '👍', false, 'http'), 'forbidden');
    const hidden = await setup(true);
    await expectChorusError(fx.chat.react(actor(outsider), hidden.room.id, hidden.message.id, '👍', false, 'http'), 'not_found');
    await expectChorusError(fx.chat.react(actor(alice), room.id, 'x', '👍', false, 'http'), 'bad_request');
    await expectChorusError(fx.chat.react(actor(alice), room.id, randomUUID(), '👍', false, 'http'), 'not_found');
    await expectChorusError(fx.chat.react(actor(alice), room.id, message.id, 'lol', false, 'http'), 'bad_request');
    await expectChorusError(fx.chat.react(actor(alice), room.id, message.id, '👍'.repeat(10_000), false, 'http'), 'bad_request');
    await fx.chat.deleteMessage(actor(alice), room.id, message.id, 'http');
    await expectChorusError(fx.chat.react(actor(alice), room.id, message.id, '👍', false, 'http'), 'conflict', /deleted/);
  });

  it('bounds reactions per user and per message (1000 attempts store at most the bounds)', async () => {
    const { alice, bob, room, message } = await setup();
    const pool = [...'😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙😚🙂🤗🤩🤔🤨😐😑😶🙄😏😣😥'].filter((c) => c.length > 1 || c.codePointAt(0)! > 0xff);
    let refused = 0;
    for (let i = 0; i < 1000; i++) {
      const who = i % 2 === 0 ? alice : bob;
      await fx.chat.react(actor(who), room.id, message.id, pool[i % pool.length]!, false, 'http').catch((err: unknown) => {
        if (!(err instanceof ChorusError) || err.code !== 'conflict') throw err;
        refused++;
      });
    }
    expect(refused).toBeGreaterThan(0);
    const [stored] = await fx.chat.history(actor(alice), room.id, { limit: 1, after: message.seq - 1 });
    expect(stored!.reactions!.length).toBeLessThanOrEqual(MAX_REACTIONS_PER_MESSAGE);
    const total = stored!.reactions!.reduce((n, r) => n + r.count, 0);
    expect(total).toBeLessThanOrEqual(2 * MAX_REACTIONS_PER_USER);
  });

  it('resolves @mentions of members only, not the sender, and one query for the send', async () => {
    const { alice, bob, outsider, room } = await setup();
    const sent = await fx.chat.send(actor(alice), room.id, `@${bob.username.toUpperCase()} @${alice.username} @${outsider.username} @nobody_x`, 'http');
    expect(sent.mentions).toEqual([bob.id]);
    const plain = await fx.chat.send(actor(alice), room.id, 'no mentions here', 'http');
    expect(plain.mentions).toBeUndefined();
    const rooms = await fx.chat.listMemberRooms(actor(bob));
    expect(rooms.find((r) => r.id === room.id)).toMatchObject({ mentions: 1 });
  });

  it('stays bounded with 1000 @mentions in one message', async () => {
    const { alice, room } = await setup();
    const members = await Promise.all(Array.from({ length: MAX_MENTIONS_PER_MESSAGE + 5 }, () => newUser('m')));
    for (const m of members) await fx.store.addMember(room.id, m.id);
    const text = [...members.map((m) => `@${m.username}`), ...Array.from({ length: 1000 }, (_, i) => `@ghost${i}`)].join(' ');
    const sent = await fx.chat.send(actor(alice), room.id, text, 'stomp');
    expect(sent.mentions).toHaveLength(MAX_MENTIONS_PER_MESSAGE);
    expect(new Set(sent.mentions)).toEqual(new Set(members.slice(0, MAX_MENTIONS_PER_MESSAGE).map((m) => m.id)));
    // An edit is bounded the same way: reversed, the edit names the last 20, of which 5 are new.
    const reversed = [...members].reverse();
    const edited = await fx.chat.editMessage(actor(alice), room.id, sent.id, reversed.map((m) => `@${m.username}`).join(' ') + ' @ghost1'.repeat(500), 'stomp');
    expect(edited.mentions).toHaveLength(5);
    expect(new Set(edited.mentions)).toEqual(new Set(members.slice(MAX_MENTIONS_PER_MESSAGE).map((m) => m.id)));
    expect((await fx.store.getMessage(room.id, sent.id))!.mentions).toHaveLength(MAX_MENTIONS_PER_MESSAGE);
  });

  it('re-resolves @mentions on edit through the one edit path: members only, not the editor', async () => {
    const { alice, bob, outsider, room } = await setup();
    const sent = await fx.chat.send(actor(alice), room.id, 'hello', 'http');
    const seen: Message[] = [];
    const stop = fx.chat.onStored((m) => seen.push(m));
    const edited = await fx.chat.editMessage(actor(alice), room.id, sent.id, `hello @${bob.username} @${alice.username} @${outsider.username}`, 'http');
    stop();
    expect(edited).toMatchObject({ type: 'edit', targetId: sent.id, mentions: [bob.id] });
    expect(seen).toEqual([edited]);
    expect((await fx.chat.listMemberRooms(actor(bob))).find((r) => r.id === room.id)).toMatchObject({ mentions: 1 });
    const again = await fx.chat.editMessage(actor(alice), room.id, sent.id, `hi @${bob.username}`, 'http');
    expect(again.mentions).toBeUndefined();
    expect((await fx.chat.listMemberRooms(actor(bob))).find((r) => r.id === room.id)).toMatchObject({ mentions: 1 });
  });

  it('reads and changes the mention setting, refusing unknown or ill-typed settings', async () => {
    const { alice } = await setup();
    expect(await fx.chat.getSettings(actor(alice))).toEqual({ notifyMentionsWhenMuted: true });
    expect(await fx.chat.updateSettings(actor(alice), { notifyMentionsWhenMuted: false })).toEqual({ notifyMentionsWhenMuted: false });
    await expectChorusError(fx.chat.updateSettings(actor(alice), { notifyMentionsWhenMuted: 'yes' }), 'bad_request');
    await expectChorusError(fx.chat.updateSettings(actor(alice), { other: 1 }), 'bad_request');
    await expectChorusError(fx.chat.updateSettings(actor(alice), null), 'bad_request');
  });
});
