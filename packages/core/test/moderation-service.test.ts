import { beforeAll, describe, expect, it } from 'vitest';
import { ChorusError } from '../src/errors.js';
import { ModerationService } from '../src/messaging/moderation-service.js';
import { storeBackends } from '../src/testing/index.js';
import { actor, expectChorusError, tag, useChatFixture } from './support/chat-fixture.js';

// Roles, kicks, bans, timeouts, slow mode, announcement rooms, settings, deletion and the log,
// over the embedded and the production store (the send gate is SQL: both must hold it).
describe.each(storeBackends())('room moderation (%s)', (backend) => {
  const fx = useChatFixture(backend);
  let mod: ModerationService;
  beforeAll(() => {
    mod = new ModerationService(fx.store, fx.chat);
  });

  const { newUser } = fx;
  async function setup(isPrivate = false) {
    const owner = await newUser();
    const moderator = await newUser();
    const member = await newUser();
    const outsider = await newUser();
    const room = await fx.chat.createRoom(actor(owner), `room ${tag()}`, isPrivate);
    await fx.store.addMember(room.id, moderator.id);
    await fx.store.addMember(room.id, member.id);
    await mod.setRole(actor(owner), room.id, moderator.id, 'moderator');
    return { owner, moderator, member, outsider, room };
  }

  it('makes the creator the owner; only the owner sets roles; transfer hands the room on', async () => {
    const { owner, moderator, member, room } = await setup();
    expect((await mod.standing(actor(owner), room.id)).role).toBe('owner');
    expect((await mod.standing(actor(moderator), room.id)).role).toBe('moderator');
    await expectChorusError(mod.setRole(actor(moderator), room.id, member.id, 'moderator'), 'forbidden');
    await expectChorusError(mod.setRole(actor(owner), room.id, member.id, 'owner'), 'bad_request');
    await expectChorusError(mod.setRole(actor(owner), room.id, member.id, 'admin'), 'bad_request');
    await expectChorusError(mod.setRole(actor(owner), room.id, owner.id, 'member'), 'bad_request');
    await mod.transfer(actor(owner), room.id, member.id);
    expect((await mod.standing(actor(member), room.id)).role).toBe('owner');
    expect((await mod.standing(actor(owner), room.id)).role).toBe('moderator');
    await expectChorusError(mod.transfer(actor(owner), room.id, member.id), 'forbidden');
    const members = await mod.members(actor(moderator), room.id, { limit: 10 });
    expect(members[0]).toMatchObject({ userId: member.id, role: 'owner' });
    expect(members.filter((m) => m.role === 'owner')).toHaveLength(1);
  });

  it('passes ownership to the longest-standing moderator when the owner leaves', async () => {
    const { owner, moderator, room } = await setup();
    await fx.chat.leave(actor(owner), room.id);
    expect((await mod.standing(actor(moderator), room.id)).role).toBe('owner');
  });

  it('lets moderators delete any message (logged); members only their own', async () => {
    const { moderator, member, owner, room } = await setup();
    const m1 = await fx.chat.send(actor(owner), room.id, 'by owner', 'http');
    await expectChorusError(fx.chat.deleteMessage(actor(member), room.id, m1.id, 'http'), 'forbidden');
    const m2 = await fx.chat.send(actor(member), room.id, 'by member', 'http');
    await fx.chat.deleteMessage(actor(moderator), room.id, m2.id, 'http');
    const log = await mod.log(actor(owner), room.id, { limit: 10 });
    expect(log[0]).toMatchObject({ action: 'delete-message', actorId: moderator.id, targetId: member.id, detail: { messageId: m2.id } });
  });

  it('kicks by rank: moderators kick members, not moderators or the owner; kicked users may rejoin', async () => {
    const { owner, moderator, member, outsider, room } = await setup();
    await expectChorusError(mod.kick(actor(member), room.id, moderator.id), 'forbidden');
    await expectChorusError(mod.kick(actor(moderator), room.id, owner.id), 'forbidden');
    await expectChorusError(mod.kick(actor(moderator), room.id, moderator.id), 'bad_request');
    await expectChorusError(mod.kick(actor(moderator), room.id, outsider.id), 'not_found');
    await mod.kick(actor(moderator), room.id, member.id);
    expect(await fx.store.isMember(room.id, member.id)).toBe(false);
    await expectChorusError(fx.chat.send(actor(member), room.id, 'hi', 'http'), 'forbidden', 'not a member of this room');
    await fx.chat.join(actor(member), room.id);
    await mod.kick(actor(owner), room.id, moderator.id);
    expect(await fx.store.isMember(room.id, moderator.id)).toBe(false);
  });

  it('bans: the user cannot rejoin or be re-added until unbanned; moderators list and lift bans', async () => {
    const { owner, moderator, member, outsider, room } = await setup();
    await mod.ban(actor(moderator), room.id, member.id);
    await mod.ban(actor(moderator), room.id, outsider.id); // not a member: banned ahead
    await expectChorusError(fx.chat.join(actor(member), room.id), 'forbidden', 'you are banned from this room');
    await expectChorusError(fx.chat.addMember(actor(owner), room.id, member.id), 'forbidden', 'this user is banned from the room');
    await expectChorusError(fx.chat.join(actor(outsider), room.id), 'forbidden');
    await expectChorusError(mod.bans(actor(member), room.id, { limit: 10 }), 'forbidden');
    expect((await mod.bans(actor(moderator), room.id, { limit: 10 })).map((b) => b.userId).sort()).toEqual([member.id, outsider.id].sort());
    await mod.unban(actor(moderator), room.id, member.id);
    await expectChorusError(mod.unban(actor(moderator), room.id, member.id), 'not_found');
    await fx.chat.join(actor(member), room.id);
    expect(await fx.store.isMember(room.id, member.id)).toBe(true);
  });

  it('timeouts stop sends (with retryAfter) until lifted, and survive leaving and rejoining', async () => {
    const { moderator, member, room } = await setup();
    await expectChorusError(mod.timeout(actor(moderator), room.id, member.id, 100_000), 'bad_request');
    await expectChorusError(mod.timeout(actor(moderator), room.id, member.id, 1.5), 'bad_request');
    const until = await mod.timeout(actor(moderator), room.id, member.id, 5);
    expect(Date.parse(until!)).toBeGreaterThan(Date.now() + 4 * 60_000);
    const refused = await fx.chat.send(actor(member), room.id, 'hi', 'http').catch((err: unknown) => err);
    expect(refused).toMatchObject({ code: 'forbidden', retryAfter: expect.any(Number) });
    expect((refused as ChorusError).retryAfter).toBeGreaterThan(240);
    await fx.chat.leave(actor(member), room.id);
    await fx.chat.join(actor(member), room.id);
    await expectChorusError(fx.chat.send(actor(member), room.id, 'hi', 'http'), 'forbidden', /timed out/);
    await mod.timeout(actor(moderator), room.id, member.id, 0);
    await fx.chat.send(actor(member), room.id, 'back', 'http');
  });

  it('slow mode: one message per member per interval (moderators exempt), rate_limited with retryAfter', async () => {
    const { owner, moderator, member, room } = await setup();
    await expectChorusError(mod.updateSettings(actor(member), room.id, { slowModeSeconds: 30 }), 'forbidden');
    await expectChorusError(mod.updateSettings(actor(moderator), room.id, { slowModeSeconds: 99_999 }), 'bad_request');
    await mod.updateSettings(actor(moderator), room.id, { slowModeSeconds: 30 });
    await fx.chat.send(actor(member), room.id, 'one', 'http');
    const refused = await fx.chat.send(actor(member), room.id, 'two', 'http').catch((err: unknown) => err);
    expect(refused).toMatchObject({ code: 'rate_limited' });
    expect((refused as ChorusError).retryAfter).toBeGreaterThanOrEqual(28);
    await expectChorusError(fx.chat.sendMany(actor(owner), room.id, ['a', 'b'], 'stomp').then(() => fx.chat.sendMany(actor(member), room.id, ['c', 'd'], 'stomp')), 'rate_limited');
    await fx.chat.send(actor(moderator), room.id, 'mods are exempt', 'http');
    await fx.chat.send(actor(moderator), room.id, 'twice', 'http');
    // The interval passes (moved back in the database rather than waited for).
    await fx.db.query("UPDATE memberships SET last_sent_at = now() - interval '31 seconds' WHERE room_id = $1 AND user_id = $2", [room.id, member.id]);
    await fx.chat.send(actor(member), room.id, 'later', 'http');
    await mod.updateSettings(actor(moderator), room.id, { slowModeSeconds: 0 });
    await fx.chat.send(actor(member), room.id, 'off again', 'http');
    await fx.chat.sendMany(actor(member), room.id, ['x', 'y'], 'stomp');
  });

  it('announcement rooms: only the owner toggles; members read, moderators and the owner post', async () => {
    const { owner, moderator, member, room } = await setup();
    await expectChorusError(mod.updateSettings(actor(moderator), room.id, { announcement: true }), 'forbidden');
    await mod.updateSettings(actor(owner), room.id, { announcement: true });
    await expectChorusError(fx.chat.send(actor(member), room.id, 'hi', 'http'), 'forbidden', 'only the moderators post in this announcement room');
    await fx.chat.send(actor(moderator), room.id, 'news', 'http');
    await fx.chat.send(actor(owner), room.id, 'more news', 'http');
    expect((await fx.chat.history(actor(member), room.id, { limit: 10 })).filter((m) => m.type === 'text').map((m) => m.text)).toEqual(['news', 'more news']);
  });

  it('renames, sets a bounded topic without bidi controls; every change is in the log (moderators only)', async () => {
    const { owner, moderator, member, room } = await setup();
    await expectChorusError(mod.updateSettings(actor(moderator), room.id, { name: 'x' }), 'forbidden');
    await expectChorusError(mod.updateSettings(actor(owner), room.id, { topic: 'a\u202Eb' }), 'bad_request');
    await expectChorusError(mod.updateSettings(actor(owner), room.id, { topic: 'x'.repeat(251) }), 'bad_request');
    await expectChorusError(mod.updateSettings(actor(owner), room.id, { name: '  ' }), 'bad_request');
    await expectChorusError(mod.updateSettings(actor(owner), room.id, {}), 'bad_request');
    const settings = await mod.updateSettings(actor(owner), room.id, { name: ' Renamed ', topic: 'be kind' });
    expect(settings).toMatchObject({ name: 'Renamed', topic: 'be kind', announcement: false, slowModeSeconds: 0, version: 1 });
    expect((await fx.store.getRoom(room.id))?.name).toBe('Renamed');
    await expectChorusError(mod.log(actor(member), room.id, { limit: 10 }), 'forbidden');
    const log = await mod.log(actor(moderator), room.id, { limit: 10 });
    expect(log.map((e) => e.action)).toEqual(['topic', 'rename', 'role']);
    const page = await mod.log(actor(moderator), room.id, { limit: 1, before: log[0]!.id });
    expect(page.map((e) => e.action)).toEqual(['rename']);
    await expectChorusError(mod.log(actor(moderator), room.id, { limit: 1000 }), 'bad_request');
  });

  it('versions settings in commit order: concurrent changes get distinct versions and a read shows the newest', async () => {
    const { owner, moderator, member, room } = await setup();
    expect((await mod.standing(actor(member), room.id)).version).toBe(0);
    const changes = await Promise.all([
      ...Array.from({ length: 4 }, (_, i) => mod.updateSettings(actor(owner), room.id, { topic: `topic ${i}` })),
      ...Array.from({ length: 4 }, (_, i) => mod.updateSettings(actor(moderator), room.id, { slowModeSeconds: i + 1 })),
    ]);
    expect(changes.map((c) => c.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // The change with the highest version is the one the room holds now.
    const newest = changes.find((c) => c.version === 8)!;
    const { role: _role, timedOutUntil: _until, ...read } = await mod.standing(actor(member), room.id);
    expect(read).toEqual(newest);
    // A refused change moves nothing.
    await expectChorusError(mod.updateSettings(actor(member), room.id, { slowModeSeconds: 5 }), 'forbidden');
    expect((await mod.standing(actor(member), room.id)).version).toBe(8);
  });

  it('deletes a room (owner only) with its history; non-members of private rooms see 404', async () => {
    const { owner, moderator, member, outsider, room } = await setup(true);
    await fx.chat.send(actor(member), room.id, 'bye', 'http');
    await expectChorusError(mod.standing(actor(outsider), room.id), 'not_found');
    await expectChorusError(mod.deleteRoom(actor(moderator), room.id), 'forbidden');
    await mod.deleteRoom(actor(owner), room.id);
    expect(await fx.store.getRoom(room.id)).toBeNull();
    expect(await fx.store.listMessages(room.id, { limit: 10 })).toEqual([]);
    await expectChorusError(fx.chat.send(actor(member), room.id, 'hi', 'http'), 'not_found');
  });
});
