import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Room } from '@chorus/core';
import { startHarness, type Harness, type TestUser } from './support/harness.js';
import { RawStompClient, type RawFrame } from './support/raw-client.js';

/**
 * Who may use which STOMP destination: a table of every destination × {anonymous, non-member,
 * member, room creator, impostor, banned, timed out, blocked}. The impostor is a non-member whose
 * frames claim the creator's identity (login and user headers); identity must come from the token
 * alone. "Banned" was a member of both rooms and is banned from both; "timed out" is a member of
 * both, timed out in both (docs/moderation.md); "blocked" has a direct room with the creator, who
 * blocks them (docs/conversations-dms.md). The member is no moderator.
 * Exactly the allowed cells succeed; every refused cell gets its error code and changes nothing.
 * To cover a new destination, add a row to MATRIX.
 */
type Role = 'anonymous' | 'nonMember' | 'member' | 'creator' | 'impostor' | 'banned' | 'timedOut' | 'blocked';
const ROLES: readonly Role[] = ['anonymous', 'nonMember', 'member', 'creator', 'impostor', 'banned', 'timedOut', 'blocked'];

/** 'ok' = RECEIPT; otherwise the error code the refusal carries. */
type Outcome = 'ok' | 'unauthorized' | 'forbidden' | 'not_found';
type Expectation = Record<Role, Outcome>;

interface Fixture {
  publicRoom: Room;
  privateRoom: Room;
  creator: TestUser;
  member: TestUser;
  nonMember: TestUser;
  banned: TestUser;
  timedOut: TestUser;
  blocked: TestUser;
  /** The direct room of the creator and the member. */
  dm: Room;
  /** The direct room of the creator and the blocked user. */
  blockedDm: Room;
}

interface Row {
  command: 'SUBSCRIBE' | 'SEND';
  destination: (f: Fixture) => string;
  /** The room whose history must stay unchanged when a SEND is refused. */
  room?: (f: Fixture) => Room;
  /** An edit/delete SEND: it names a fresh message of `target` (the member unless said; sent before the cell). */
  lifecycle?: 'edit' | 'delete' | 'react';
  target?: 'member' | 'creator' | 'timedOut' | 'blocked';
  expect: Expectation;
  /** What the refusal says, per role (the clear error a client shows). */
  errors?: Partial<Record<Role, RegExp>>;
}

const allUsers = (outcome: Outcome): Expectation => ({
  ...{ anonymous: 'unauthorized', nonMember: outcome, member: outcome, creator: outcome, impostor: outcome },
  ...{ banned: outcome, timedOut: outcome, blocked: outcome },
});
/**
 * Members (the creator and the timed-out member too) only; outsiders (banned ones included) get 403
 * for public rooms and 404 for private ones, which they must not learn of.
 */
const membersOf = (kind: 'public' | 'private'): Expectation => {
  const outsider: Outcome = kind === 'public' ? 'forbidden' : 'not_found';
  return { ...allUsers(outsider), member: 'ok', creator: 'ok', timedOut: 'ok' };
};
/** New messages, edits and reactions: members, but not while timed out. */
const writersOf = (kind: 'public' | 'private'): Expectation => ({ ...membersOf(kind), timedOut: 'forbidden' });
const anyUser: Expectation = allUsers('ok');
const nobody: Expectation = allUsers('not_found');
/** A direct room: its two users; everyone else never learns that it exists. */
const pairOf = (a: Role, b: Role, outcome: Outcome = 'ok'): Expectation => ({ ...allUsers('not_found'), [a]: outcome, [b]: outcome });
const TIMED_OUT = /^you are timed out in this room until \d{4}-/;
const BLOCKED = /^you cannot message this user$/;

const pub = (f: Fixture) => f.publicRoom;
const priv = (f: Fixture) => f.privateRoom;

const MATRIX: Row[] = [
  { command: 'SUBSCRIBE', destination: (f) => `/topic/rooms/${f.publicRoom.id}`, expect: membersOf('public') },
  { command: 'SUBSCRIBE', destination: (f) => `/topic/rooms/${f.privateRoom.id}`, expect: membersOf('private') },
  { command: 'SUBSCRIBE', destination: (f) => `/topic/rooms/${f.publicRoom.id}/presence`, expect: membersOf('public') },
  { command: 'SUBSCRIBE', destination: (f) => `/topic/rooms/${f.privateRoom.id}/presence`, expect: membersOf('private') },
  { command: 'SUBSCRIBE', destination: (f) => `/topic/rooms/${f.publicRoom.id}/typing`, expect: membersOf('public') },
  { command: 'SUBSCRIBE', destination: (f) => `/topic/rooms/${f.privateRoom.id}/typing`, expect: membersOf('private') },
  { command: 'SUBSCRIBE', destination: (f) => `/topic/rooms/${f.publicRoom.id}/settings`, expect: membersOf('public') },
  { command: 'SUBSCRIBE', destination: (f) => `/topic/rooms/${f.privateRoom.id}/settings`, expect: membersOf('private') },
  { command: 'SEND', destination: (f) => `/app/rooms/${f.publicRoom.id}`, room: pub, expect: writersOf('public'), errors: { timedOut: TIMED_OUT } },
  { command: 'SEND', destination: (f) => `/app/rooms/${f.privateRoom.id}`, room: priv, expect: writersOf('private'), errors: { timedOut: TIMED_OUT } },
  { command: 'SEND', destination: (f) => `/app/rooms/${f.publicRoom.id}/typing`, room: pub, expect: membersOf('public') },
  { command: 'SEND', destination: (f) => `/app/rooms/${f.privateRoom.id}/typing`, room: priv, expect: membersOf('private') },
  // Only the sender (the member) edits; the sender or the room's creator deletes.
  { command: 'SEND', destination: (f) => `/app/rooms/${f.publicRoom.id}/edit`, room: pub, lifecycle: 'edit', expect: { ...writersOf('public'), creator: 'forbidden' } },
  { command: 'SEND', destination: (f) => `/app/rooms/${f.privateRoom.id}/edit`, room: priv, lifecycle: 'edit', expect: { ...writersOf('private'), creator: 'forbidden' } },
  { command: 'SEND', destination: (f) => `/app/rooms/${f.publicRoom.id}/delete`, room: pub, lifecycle: 'delete', expect: { ...membersOf('public'), timedOut: 'forbidden' } },
  { command: 'SEND', destination: (f) => `/app/rooms/${f.privateRoom.id}/delete`, room: priv, lifecycle: 'delete', expect: { ...membersOf('private'), timedOut: 'forbidden' } },
  ...(['public', 'private'] as const).flatMap((kind): Row[] => {
    const room = kind === 'public' ? pub : priv;
    return [
      // A member who is no moderator cannot delete others' messages; the owner can.
      {
        command: 'SEND',
        destination: (f) => `/app/rooms/${room(f).id}/delete`,
        room,
        lifecycle: 'delete',
        target: 'creator',
        expect: { ...membersOf(kind), member: 'forbidden', timedOut: 'forbidden' },
        errors: { member: /^only the sender or a moderator of the room may delete a message$/ },
      },
      // The timed-out member cannot edit their own message either.
      {
        command: 'SEND',
        destination: (f) => `/app/rooms/${room(f).id}/edit`,
        room,
        lifecycle: 'edit',
        target: 'timedOut',
        expect: { ...membersOf(kind), member: 'forbidden', creator: 'forbidden', timedOut: 'forbidden' },
        errors: { timedOut: TIMED_OUT },
      },
    ];
  }),
  // Direct rooms: the pair only. While the creator blocks the blocked user, the blocked user cannot
  // send or edit there (the same neutral refusal); the creator still can; both still read.
  { command: 'SUBSCRIBE', destination: (f) => `/topic/rooms/${f.dm.id}`, expect: pairOf('creator', 'member') },
  { command: 'SEND', destination: (f) => `/app/rooms/${f.dm.id}`, room: (f) => f.dm, expect: pairOf('creator', 'member') },
  { command: 'SUBSCRIBE', destination: (f) => `/topic/rooms/${f.blockedDm.id}`, expect: pairOf('creator', 'blocked') },
  {
    command: 'SEND',
    destination: (f) => `/app/rooms/${f.blockedDm.id}`,
    room: (f) => f.blockedDm,
    expect: { ...pairOf('creator', 'blocked'), blocked: 'forbidden' },
    errors: { blocked: BLOCKED },
  },
  {
    command: 'SEND',
    destination: (f) => `/app/rooms/${f.blockedDm.id}/edit`,
    room: (f) => f.blockedDm,
    lifecycle: 'edit',
    target: 'blocked',
    expect: { ...pairOf('creator', 'blocked', 'forbidden') },
    errors: { blocked: BLOCKED },
  },
  // Any member reacts to the member's message, but not while timed out.
  { command: 'SEND', destination: (f) => `/app/rooms/${f.publicRoom.id}/react`, room: pub, lifecycle: 'react', expect: writersOf('public'), errors: { timedOut: TIMED_OUT } },
  { command: 'SEND', destination: (f) => `/app/rooms/${f.privateRoom.id}/react`, room: priv, lifecycle: 'react', expect: writersOf('private'), errors: { timedOut: TIMED_OUT } },
  { command: 'SUBSCRIBE', destination: () => '/user/queue/errors', expect: anyUser },
  { command: 'SUBSCRIBE', destination: () => '/user/queue/unread', expect: anyUser },
  // Another user's queue cannot even be named: /user/queue/* is always the caller's own.
  { command: 'SUBSCRIBE', destination: (f) => `/user/${f.creator.id}/queue/errors`, expect: nobody },
  { command: 'SUBSCRIBE', destination: (f) => `/user/${f.creator.username}/queue/unread`, expect: nobody },
  { command: 'SUBSCRIBE', destination: () => '/user/queue/no-such-queue', expect: nobody },
  { command: 'SEND', destination: () => '/user/queue/errors', expect: nobody },
  { command: 'SEND', destination: (f) => `/topic/rooms/${f.publicRoom.id}`, room: pub, expect: nobody },
  { command: 'SEND', destination: (f) => `/topic/rooms/${f.publicRoom.id}/presence`, room: pub, expect: nobody },
  { command: 'SEND', destination: (f) => `/topic/rooms/${f.publicRoom.id}/settings`, room: pub, expect: nobody },
  { command: 'SUBSCRIBE', destination: (f) => `/app/rooms/${f.publicRoom.id}`, expect: nobody },
];

describe('STOMP access matrix', () => {
  let h: Harness;
  let f: Fixture;
  const open: RawStompClient[] = [];
  let cells = 0;

  beforeAll(async () => {
    h = await startHarness({
      env: { SEND_RATE_PER_SECOND: '1000', SEND_BURST: '1000', TYPING_RATE_PER_SECOND: '1000', TYPING_BURST: '1000', SUBSCRIBE_BURST: '1000' },
    });
    const creator = await h.createUser('creator');
    const member = await h.createUser('member');
    const nonMember = await h.createUser('outsider');
    const [banned, timedOut, blocked] = [await h.createUser('banned'), await h.createUser('timedout'), await h.createUser('blocked')];
    const publicRoom = await h.createRoom(creator);
    const privateRoom = await h.createRoom(creator, { private: true });
    const until = new Date(Date.now() + 3_600_000).toISOString();
    for (const room of [publicRoom, privateRoom]) {
      for (const user of [member, banned, timedOut]) await h.store.addMember(room.id, user.id);
      await h.store.removeMemberBy(room.id, banned.id, { ban: true, from: ['member'] }, { actorId: creator.id, action: 'ban', targetId: banned.id });
      await h.store.setRoomTimeout(room.id, timedOut.id, until, { actorId: creator.id, action: 'timeout', targetId: timedOut.id });
    }
    const dm = (await h.store.openDirectRoom(creator.id, member.id))!.room;
    const blockedDm = (await h.store.openDirectRoom(creator.id, blocked.id))!.room;
    expect(await h.store.blockUser(creator.id, blocked.id, 500)).toBe('added');
    f = { publicRoom, privateRoom, creator, member, nonMember, banned, timedOut, blocked, dm, blockedDm };
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  afterAll(async () => {
    await h?.close();
    console.log(`[matrix] STOMP: ${cells} cells (${MATRIX.length} destinations × ${ROLES.length} roles)`);
  });

  const userOf = (role: Role): TestUser => (role === 'anonymous' || role === 'impostor' ? f.nonMember : f[role]);

  /** Connects as the role with /user/queue/errors subscribed, so refusals arrive as messages there. */
  async function connectAs(role: Exclude<Role, 'anonymous'>): Promise<RawStompClient> {
    const user = userOf(role);
    const spoof = role === 'impostor' ? `login:${f.creator.username}\nuser-id:${f.creator.id}\nuser-name:${f.creator.username}\n` : '';
    const client = await RawStompClient.connected(h.wsUrl, user.token, spoof);
    open.push(client);
    expect(client.frames[0]?.headers['user-id']).toBe(user.id);
    client.send('SUBSCRIBE\nid:errors\ndestination:/user/queue/errors\nreceipt:errors\n\n\0');
    expect(await client.next()).toMatchObject({ command: 'RECEIPT', headers: { 'receipt-id': 'errors' } });
    return client;
  }

  function frameFor(row: Row, role: Role, receipt: string, targetId?: string): string {
    const destination = row.destination(f);
    const spoof = role === 'impostor' ? `user-id:${f.creator.id}\nsender:${f.creator.id}\nuser-name:${f.creator.username}\n` : '';
    if (row.command === 'SUBSCRIBE') return `SUBSCRIBE\nid:cell\ndestination:${destination}\n${spoof}receipt:${receipt}\n\n\0`;
    if (row.lifecycle) {
      const body = JSON.stringify(
        row.lifecycle === 'edit' ? { messageId: targetId, text: `cell ${receipt}` } : row.lifecycle === 'react' ? { messageId: targetId, emoji: '👍' } : { messageId: targetId },
      );
      return `SEND\ndestination:${destination}\ncontent-type:application/json\n${spoof}receipt:${receipt}\n\n${body}\0`;
    }
    const body = destination.endsWith('/typing') ? '' : `cell ${receipt}`;
    return `SEND\ndestination:${destination}\ncontent-type:text/plain\n${spoof}receipt:${receipt}\n\n${body}\0`;
  }

  /** Names rows by their destination pattern, e.g. `SEND /app/rooms/<private>`. */
  const placeholders = {
    publicRoom: { id: '<public>' },
    privateRoom: { id: '<private>' },
    creator: { id: '<creator-id>', username: '<creator-name>' },
    dm: { id: '<dm>' },
    blockedDm: { id: '<blocked-dm>' },
  } as unknown as Fixture;
  const cases = MATRIX.flatMap((row) =>
    ROLES.map((role) => ({ row, role, name: `${row.command} ${row.destination(placeholders)}${row.target ? ` (${row.target}'s message)` : ''} as ${role}` })),
  );

  it.each(cases)('$name', async ({ row, role }) => {
    cells++;
    const expected = row.expect[role];
    const room = row.room?.(f);
    // Straight through the store (the timed-out member could not send it now).
    const target = row.lifecycle && room ? await h.store.appendMessage({ roomId: room.id, senderId: f[row.target ?? 'member'].id, type: 'text', text: 'to change' }) : undefined;
    const seqBefore = room ? await h.store.lastSeq(room.id) : null;
    const receipt = `cell-${cells}`;

    if (role === 'anonymous') {
      expect(expected).toBe('unauthorized');
      const client = await RawStompClient.open(h.wsUrl);
      open.push(client);
      client.send(`CONNECT\naccept-version:1.2\nhost:chorus\n\n\0${frameFor(row, role, receipt, target?.id)}`);
      const error = await client.next();
      expect(error.command).toBe('ERROR');
      expect(error.body).toMatch(/authentication required/);
      expect(await client.closed).toBe(1008);
    } else {
      const client = await connectAs(role);
      client.send(frameFor(row, role, receipt, target?.id));
      const reply = await client.next();
      if (expected === 'ok') {
        expect(reply, JSON.stringify(reply)).toMatchObject({ command: 'RECEIPT', headers: { 'receipt-id': receipt } });
      } else {
        expect(reply.command, JSON.stringify(reply)).toBe('MESSAGE');
        expect(reply.headers['destination']).toBe('/user/queue/errors');
        expect(JSON.parse(reply.body)).toMatchObject({ code: expected, receiptId: receipt });
        const error = row.errors?.[role];
        if (error) expect((JSON.parse(reply.body) as { message: string }).message).toMatch(error);
      }
    }

    if (room) {
      const seqAfter = await h.store.lastSeq(room.id);
      const storesText = row.command === 'SEND' && !row.destination(f).endsWith('/typing');
      if (expected === 'ok' && row.lifecycle) {
        expect(seqAfter).toBe((seqBefore ?? 0) + 1);
        const [stored] = await h.store.listMessages(room.id, { limit: 1 });
        expect(stored).toMatchObject({ type: row.lifecycle === 'react' ? 'reaction' : row.lifecycle, targetId: target!.id, sender: { id: userOf(role).id } });
      } else if (expected === 'ok' && storesText) {
        expect(seqAfter).toBe((seqBefore ?? 0) + 1);
        const [stored] = await h.store.listMessages(room.id, { limit: 1 });
        expect(stored?.sender.id).toBe(userOf(role).id); // the token's user, whatever the frame claims
        expect(stored?.text).toBe(`cell ${receipt}`);
      } else {
        expect(seqAfter).toBe(seqBefore);
      }
    }
  });

  describe('no crossing between users', () => {
    it('an impostor is connected as itself, whatever login/user headers it sends', async () => {
      const client = await RawStompClient.connected(h.wsUrl, f.nonMember.token, `login:${f.creator.username}\npasscode:${f.creator.token}\n`);
      open.push(client);
      expect(client.frames[0]?.headers).toMatchObject({ 'user-id': f.nonMember.id, 'user-name': f.nonMember.username });
    });

    it("refusals reach only the refused session's /user/queue/errors, not another user's", async () => {
      const outsider = await connectAs('nonMember');
      const member = await connectAs('member');
      outsider.send(`SEND\ndestination:/app/rooms/${f.privateRoom.id}\nreceipt:outsider-1\n\nhi\0`);
      expect(JSON.parse((await outsider.next()).body)).toMatchObject({ code: 'not_found', receiptId: 'outsider-1' });
      member.send(`SEND\ndestination:/queue/nowhere\nreceipt:member-1\n\nhi\0`);
      // The member's first error is its own: the outsider's never reached it.
      expect(JSON.parse((await member.next()).body)).toMatchObject({ code: 'not_found', receiptId: 'member-1' });
    });

    it("/user/queue/unread carries only the subscriber's own rooms, never a private room it is not in", async () => {
      const watcherRoom = await h.createRoom(f.nonMember);
      const outsider = await connectAs('nonMember');
      outsider.send('SUBSCRIBE\nid:unread\ndestination:/user/queue/unread\nreceipt:u\n\n\0');
      expect((await outsider.next()).headers['receipt-id']).toBe('u');
      // Traffic in rooms the outsider is not in, then one message in its own room as a marker.
      await h.chat.send(f.creator, f.privateRoom.id, 'secret', 'http');
      await h.chat.send(f.creator, f.publicRoom.id, 'public but not joined', 'http');
      const other = await h.createUser('other');
      await h.chat.join(other, watcherRoom.id);
      await h.chat.send(other, watcherRoom.id, 'marker', 'http');
      const rooms: string[] = [];
      for (;;) {
        const frame: RawFrame = await outsider.next();
        expect(frame.command).toBe('MESSAGE');
        const update = JSON.parse(frame.body) as { roomId: string };
        rooms.push(update.roomId);
        if (update.roomId === watcherRoom.id) break;
      }
      expect(rooms.every((id) => id === watcherRoom.id)).toBe(true);
    });

    // A subscription lives no longer than the membership it was granted for: the user's own 'leave'
    // message ends it (RoomChannel revokes it; the session tells the client with code forbidden).
    it('a room subscription of someone who left the room gets nothing new (membership revoked)', async () => {
      const leaver = await h.createUser('leaver');
      const room = await h.createRoom(f.creator);
      await h.chat.join(leaver, room.id);
      const client = await RawStompClient.connected(h.wsUrl, leaver.token);
      open.push(client);
      client.send(`SUBSCRIBE\nid:r\ndestination:/topic/rooms/${room.id}\nreceipt:s\n\n\0`);
      expect((await client.next()).headers['receipt-id']).toBe('s');
      await h.chat.leave(leaver, room.id);
      // The leave event itself may be delivered; what follows must not be.
      await h.chat.send(f.creator, room.id, 'after you left', 'http');
      client.send(`UNSUBSCRIBE\nid:none\nreceipt:sync\n\n\0`);
      const texts: string[] = [];
      for (;;) {
        const frame = await client.next();
        if (frame.command !== 'MESSAGE') break;
        texts.push((JSON.parse(frame.body) as { text: string }).text);
      }
      expect(texts).not.toContain('after you left');
    });
  });
});
