import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachmentKey, FsObjectStore, MemoryPresence, thumbnailKey, type Room } from '@chorus/core';
import { createTestStore, type TestStore } from '@chorus/core/testing';
import { randomName, startTestApi, type Reply, type TestApi } from './support.js';

/**
 * Who may call which REST endpoint: every documented route × {anonymous, non-member, member,
 * room creator, another user, banned, timed out, blocked}. "Another user" holds a valid token and
 * aims at what belongs to the member (the member's device, the member's rooms). "Banned" was a
 * member of both rooms and is banned from both; "timed out" is a member of both, timed out in both
 * (docs/moderation.md); "blocked" has a direct room with the creator, who blocks them
 * (docs/conversations-dms.md). The member is no moderator. Every cell that may change state runs
 * on a fresh fixture, so calls cannot leak into each other, and exactly the allowed cells succeed.
 * A new route makes 'every documented route has a row' fail until a row is added to MATRIX.
 */
type Role = 'anonymous' | 'nonMember' | 'member' | 'creator' | 'otherUser' | 'banned' | 'timedOut' | 'blocked';
const ROLES: readonly Role[] = ['anonymous', 'nonMember', 'member', 'creator', 'otherUser', 'banned', 'timedOut', 'blocked'];

interface Person {
  id: string;
  username: string;
  token: string;
}

interface Fixture {
  creator: Person;
  member: Person;
  nonMember: Person;
  otherUser: Person;
  banned: Person;
  timedOut: Person;
  blocked: Person;
  publicRoom: Room;
  privateRoom: Room;
  /** A push device token registered by the member. */
  memberDevice: string;
  /** An image (with thumbnail) the creator sent in the private room. */
  privateAttachment: string;
  /** Text messages the member sent, per room. */
  memberMessage: { public: string; private: string };
  /** Text messages the timed-out member sent before the timeout, per room. */
  timedOutMessage: { public: string; private: string };
  /** Text messages the creator sent, per room. */
  creatorMessage: { public: string; private: string };
  /** The direct room of the creator and the member. */
  dm: Room;
  /** The direct room of the creator and the user the creator blocks, and a message the blocked user sent there before. */
  blockedDm: Room;
  blockedDmMessage: string;
}

interface Row {
  method: string;
  /** The OpenAPI path this row covers. */
  route: string;
  path: (f: Fixture) => string;
  body?: (f: Fixture, caller: Person | undefined) => unknown;
  /** Expected status per role. */
  expect: Record<Role, number>;
  /** What the refusal says, per role (the clear error a client shows). */
  errors?: Partial<Record<Role, RegExp>>;
  /** Extra checks on an allowed call (what it returned or changed). */
  check?: (f: Fixture, caller: Person, reply: Reply, api: TestApi) => Promise<void> | void;
}

const everyone = (status: number): Record<Role, number> => ({ anonymous: status, nonMember: status, member: status, creator: status, otherUser: status, banned: status, timedOut: status, blocked: status });
const anyUser = (status: number): Record<Role, number> => ({ ...everyone(status), anonymous: 401 });
/**
 * Members (the timed-out one included) and the creator only; outsiders (banned ones included) get
 * 403 for public rooms, 404 for private ones (not revealed).
 */
const membersOf = (kind: 'public' | 'private', status: number): Record<Role, number> => {
  const outsider = kind === 'public' ? 403 : 404;
  return { anonymous: 401, nonMember: outsider, member: status, creator: status, otherUser: outsider, banned: outsider, timedOut: status, blocked: outsider };
};
/** New messages: members, but not while timed out (403 with the time it ends). */
const sendsOf = (kind: 'public' | 'private', status: number): Record<Role, number> => ({ ...membersOf(kind, status), timedOut: 403 });
const TIMED_OUT = /^you are timed out in this room until \d{4}-/;
const pub = (f: Fixture) => f.publicRoom.id;
const priv = (f: Fixture) => f.privateRoom.id;

const expectNoPrivate = (f: Fixture, reply: Reply) => expect(JSON.stringify(reply.body)).not.toContain(f.privateRoom.id);

/** The room's creator (its owner) only; members (no moderators) 403; outsiders their usual 403 (public) / 404 (private). */
const ownerOnly = (kind: 'public' | 'private', status: number): Record<Role, number> => ({ ...membersOf(kind, status), member: 403, timedOut: 403 });
/** The DM's two users (creator and member) and outsiders, who never learn that it exists. */
const dmPair = (status: number): Record<Role, number> => ({ ...anyUser(404), member: status, creator: status });
/** The blocked user's DM with the creator who blocks them: the two of them, outsiders 404. */
const blockedPair = (creator: number, blocked: number): Record<Role, number> => ({ ...anyUser(404), creator, blocked });
const dm = (f: Fixture) => f.dm.id;
const BLOCKED = /^you cannot message this user$/;

const MATRIX: Row[] = [
  // Direct messages (docs/conversations-dms.md): a third user can neither read, write, join nor be added.
  { method: 'GET', route: '/api/rooms/{id}/messages', path: (f) => `/api/rooms/${dm(f)}/messages`, expect: dmPair(200) },
  { method: 'POST', route: '/api/rooms/{id}/messages', path: (f) => `/api/rooms/${dm(f)}/messages`, body: () => ({ text: 'hi' }), expect: dmPair(201) },
  { method: 'POST', route: '/api/rooms/{id}/join', path: (f) => `/api/rooms/${dm(f)}/join`, expect: dmPair(200) },
  { method: 'POST', route: '/api/rooms/{id}/leave', path: (f) => `/api/rooms/${dm(f)}/leave`, expect: dmPair(403) },
  {
    method: 'POST',
    route: '/api/rooms/{id}/members',
    path: (f) => `/api/rooms/${dm(f)}/members`,
    body: (f) => ({ userId: f.nonMember.id }),
    expect: dmPair(403),
    check: () => {
      throw new Error('nobody may add a third member to a direct room');
    },
  },
  { method: 'GET', route: '/api/rooms/{id}', path: (f) => `/api/rooms/${dm(f)}`, expect: dmPair(200) },
  {
    method: 'POST',
    route: '/api/dms',
    path: () => '/api/dms',
    body: (f) => ({ userId: f.member.id }),
    // The member with themselves: 400. The creator gets the existing DM; others a new one.
    expect: { ...anyUser(200), member: 400 },
    check: (f, caller, r) => {
      expect(r.body).toMatchObject({ kind: 'direct', private: true, memberCount: 2 });
      if (caller === f.creator) expect(r.body.id).toBe(f.dm.id);
      else expect(r.body.id).not.toBe(f.dm.id);
    },
  },
  // Blocking (docs/conversations-dms.md): the blocked user can neither send, edit nor open the DM;
  // the blocker still writes to them.
  {
    method: 'POST',
    route: '/api/rooms/{id}/messages',
    path: (f) => `/api/rooms/${f.blockedDm.id}/messages`,
    body: () => ({ text: 'hi' }),
    expect: blockedPair(201, 403),
    errors: { blocked: BLOCKED },
  },
  {
    method: 'PATCH',
    route: '/api/rooms/{id}/messages/{messageId}',
    path: (f) => `/api/rooms/${f.blockedDm.id}/messages/${f.blockedDmMessage}`,
    body: () => ({ text: 'edited' }),
    expect: blockedPair(403, 403),
    errors: { blocked: BLOCKED },
  },
  { method: 'GET', route: '/api/rooms/{id}/messages', path: (f) => `/api/rooms/${f.blockedDm.id}/messages`, expect: blockedPair(200, 200) },
  {
    method: 'POST',
    route: '/api/dms',
    path: () => '/api/dms',
    body: (f) => ({ userId: f.creator.id }),
    expect: { ...anyUser(200), creator: 400, blocked: 403 },
    errors: { blocked: BLOCKED },
  },
  {
    method: 'GET',
    route: '/api/users',
    path: (f) => `/api/users?q=${encodeURIComponent(f.member.username)}`,
    expect: anyUser(200),
    check: (f, _caller, r) => expect(r.body).toEqual({ users: [{ id: f.member.id, username: f.member.username }] }),
  },
  {
    method: 'GET',
    route: '/api/me/blocks',
    path: () => '/api/me/blocks',
    expect: anyUser(200),
    check: (f, caller, r) => expect(r.body).toEqual({ users: caller === f.creator ? [{ id: f.blocked.id, username: f.blocked.username }] : [] }),
  },
  { method: 'PUT', route: '/api/me/blocks/{userId}', path: (f) => `/api/me/blocks/${f.member.id}`, expect: { ...anyUser(204), member: 400 } },
  { method: 'DELETE', route: '/api/me/blocks/{userId}', path: (f) => `/api/me/blocks/${f.member.id}`, expect: anyUser(204) },
  { method: 'GET', route: '/api/me', path: () => '/api/me', expect: anyUser(200), check: (_f, caller, r) => expect(r.body.id).toBe(caller.id) },
  {
    method: 'GET',
    route: '/api/me/rooms',
    path: () => '/api/me/rooms',
    expect: anyUser(200),
    check: (f, caller, r) => {
      const ids = (r.body.rooms as Room[]).map((room) => room.id);
      expect(ids.includes(f.privateRoom.id)).toBe(caller === f.member || caller === f.creator || caller === f.timedOut);
    },
  },
  {
    method: 'GET',
    route: '/api/me/devices',
    path: () => '/api/me/devices',
    expect: anyUser(200),
    check: (f, caller, r) => {
      const tokens = (r.body.devices as { token: string; userId: string }[]).map((d) => d.token);
      expect(tokens.includes(f.memberDevice)).toBe(caller === f.member);
      for (const d of r.body.devices as { userId: string }[]) expect(d.userId).toBe(caller.id);
    },
  },
  { method: 'POST', route: '/api/devices', path: () => '/api/devices', body: () => ({ token: `dev-${randomUUID()}`, platform: 'web' }), expect: anyUser(200) },
  {
    method: 'DELETE',
    route: '/api/devices/{token}',
    path: (f) => `/api/devices/${encodeURIComponent(f.memberDevice)}`,
    // Only the owner can remove a device; for anyone else it does not exist.
    expect: { ...anyUser(404), member: 204 },
  },
  { method: 'POST', route: '/api/rooms', path: () => '/api/rooms', body: () => ({ name: 'new room' }), expect: anyUser(201) },
  {
    method: 'GET',
    route: '/api/rooms',
    path: () => '/api/rooms?limit=100',
    expect: anyUser(200),
    check: async (f, caller, r, api) => {
      expectNoPrivate(f, r);
      // Newest first: later cells' rooms may push the fixture's off the first page.
      const ids = (r.body.rooms as Room[]).map((room) => room.id);
      for (let cursor = r.body.nextCursor as string | null; cursor && !ids.includes(f.publicRoom.id); ) {
        const page = await api.call('GET', `/api/rooms?limit=100&cursor=${encodeURIComponent(cursor)}`, { token: caller.token });
        expectNoPrivate(f, page);
        ids.push(...(page.body.rooms as Room[]).map((room) => room.id));
        cursor = page.body.nextCursor as string | null;
      }
      expect(ids).toContain(f.publicRoom.id);
    },
  },
  { method: 'GET', route: '/api/rooms/{id}', path: (f) => `/api/rooms/${pub(f)}`, expect: anyUser(200) },
  { method: 'GET', route: '/api/rooms/{id}', path: (f) => `/api/rooms/${priv(f)}`, expect: membersOf('private', 200) },
  { method: 'POST', route: '/api/rooms/{id}/join', path: (f) => `/api/rooms/${pub(f)}/join`, expect: { ...anyUser(200), banned: 403 }, errors: { banned: /^you are banned from this room$/ } },
  {
    method: 'POST',
    route: '/api/rooms/{id}/join',
    path: (f) => `/api/rooms/${priv(f)}/join`,
    expect: membersOf('private', 200),
  },
  { method: 'POST', route: '/api/rooms/{id}/leave', path: (f) => `/api/rooms/${pub(f)}/leave`, expect: membersOf('public', 204) },
  { method: 'POST', route: '/api/rooms/{id}/leave', path: (f) => `/api/rooms/${priv(f)}/leave`, expect: membersOf('private', 204) },
  {
    method: 'POST',
    route: '/api/rooms/{id}/members',
    path: (f) => `/api/rooms/${pub(f)}/members`,
    body: (f) => ({ userId: f.otherUser.id }),
    expect: membersOf('public', 200),
  },
  {
    method: 'POST',
    route: '/api/rooms/{id}/members',
    path: (f) => `/api/rooms/${priv(f)}/members`,
    // Outsiders try to add themselves to the private room.
    body: (_f, caller) => ({ userId: caller?.id ?? randomUUID() }),
    expect: membersOf('private', 200),
  },
  { method: 'POST', route: '/api/rooms/{id}/read', path: (f) => `/api/rooms/${pub(f)}/read`, body: () => ({ seq: 1 }), expect: membersOf('public', 200) },
  { method: 'POST', route: '/api/rooms/{id}/read', path: (f) => `/api/rooms/${priv(f)}/read`, body: () => ({ seq: 1 }), expect: membersOf('private', 200) },
  { method: 'GET', route: '/api/rooms/{id}/messages', path: (f) => `/api/rooms/${pub(f)}/messages`, expect: membersOf('public', 200) },
  { method: 'GET', route: '/api/rooms/{id}/messages', path: (f) => `/api/rooms/${priv(f)}/messages`, expect: membersOf('private', 200) },
  {
    method: 'POST',
    route: '/api/rooms/{id}/messages',
    path: (f) => `/api/rooms/${pub(f)}/messages`,
    body: () => ({ text: 'matrix' }),
    expect: sendsOf('public', 201),
    errors: { timedOut: TIMED_OUT },
    check: (_f, caller, r) => expect(r.body.sender.id).toBe(caller.id),
  },
  {
    method: 'POST',
    route: '/api/rooms/{id}/messages',
    path: (f) => `/api/rooms/${priv(f)}/messages`,
    body: () => ({ text: 'matrix' }),
    expect: sendsOf('private', 201),
    errors: { timedOut: TIMED_OUT },
    check: (_f, caller, r) => expect(r.body.sender.id).toBe(caller.id),
  },
  // Only the sender edits; the sender or the room's creator deletes.
  {
    method: 'PATCH',
    route: '/api/rooms/{id}/messages/{messageId}',
    path: (f) => `/api/rooms/${pub(f)}/messages/${f.memberMessage.public}`,
    body: () => ({ text: 'fixed' }),
    expect: { ...membersOf('public', 200), creator: 403, timedOut: 403 },
    check: (f, _caller, r) => expect(r.body).toMatchObject({ type: 'edit', targetId: f.memberMessage.public, text: 'fixed' }),
  },
  {
    method: 'DELETE',
    route: '/api/rooms/{id}/messages/{messageId}',
    path: (f) => `/api/rooms/${pub(f)}/messages/${f.memberMessage.public}`,
    expect: { ...membersOf('public', 200), timedOut: 403 },
    check: async (f, _caller, r, api) => {
      expect(r.body).toMatchObject({ type: 'delete', targetId: f.memberMessage.public });
      expect(await api.store.getMessage(pub(f), f.memberMessage.public)).toMatchObject({ deleted: true, text: '' });
    },
  },
  // Only the sender edits; the sender or the room's creator deletes.
  {
    method: 'PATCH',
    route: '/api/rooms/{id}/messages/{messageId}',
    path: (f) => `/api/rooms/${priv(f)}/messages/${f.memberMessage.private}`,
    body: () => ({ text: 'fixed' }),
    expect: { ...membersOf('private', 200), creator: 403, timedOut: 403 },
    check: (f, _caller, r) => expect(r.body).toMatchObject({ type: 'edit', targetId: f.memberMessage.private, text: 'fixed' }),
  },
  {
    method: 'DELETE',
    route: '/api/rooms/{id}/messages/{messageId}',
    path: (f) => `/api/rooms/${priv(f)}/messages/${f.memberMessage.private}`,
    expect: { ...membersOf('private', 200), timedOut: 403 },
    check: async (f, _caller, r, api) => {
      expect(r.body).toMatchObject({ type: 'delete', targetId: f.memberMessage.private });
      expect(await api.store.getMessage(priv(f), f.memberMessage.private)).toMatchObject({ deleted: true, text: '' });
    },
  },
  // A member who is no moderator cannot delete others' messages; the timed-out member cannot edit their own.
  ...(['public', 'private'] as const).flatMap((kind): Row[] => [
    {
      method: 'DELETE',
      route: '/api/rooms/{id}/messages/{messageId}',
      path: (f) => `/api/rooms/${kind === 'public' ? pub(f) : priv(f)}/messages/${f.creatorMessage[kind]}`,
      expect: { ...membersOf(kind, 403), creator: 200 },
      errors: { member: /^only the sender or a moderator of the room may delete a message$/ },
    },
    {
      method: 'PATCH',
      route: '/api/rooms/{id}/messages/{messageId}',
      path: (f) => `/api/rooms/${kind === 'public' ? pub(f) : priv(f)}/messages/${f.timedOutMessage[kind]}`,
      body: () => ({ text: 'edited while timed out' }),
      expect: membersOf(kind, 403),
      errors: { timedOut: TIMED_OUT, member: /^only the sender may edit a message$/ },
    },
  ]),
  {
    method: 'GET',
    route: '/api/search',
    path: () => '/api/search?q=secret',
    expect: anyUser(200),
    check: (f, caller, r) => {
      const rooms = new Set((r.body.messages as { roomId: string }[]).map((m) => m.roomId));
      expect(rooms.has(f.privateRoom.id)).toBe(caller === f.member || caller === f.creator || caller === f.timedOut);
    },
  },
  { method: 'GET', route: '/api/search', path: (f) => `/api/search?q=secret&roomId=${pub(f)}`, expect: membersOf('public', 200) },
  { method: 'GET', route: '/api/search', path: (f) => `/api/search?q=secret&roomId=${priv(f)}`, expect: membersOf('private', 200) },
  { method: 'GET', route: '/api/rooms/{id}/presence', path: (f) => `/api/rooms/${pub(f)}/presence`, expect: membersOf('public', 200) },
  { method: 'GET', route: '/api/rooms/{id}/presence', path: (f) => `/api/rooms/${priv(f)}/presence`, expect: membersOf('private', 200) },
  { method: 'POST', route: '/api/rooms/{id}/mute', path: (f) => `/api/rooms/${pub(f)}/mute`, body: () => ({}), expect: membersOf('public', 200) },
  { method: 'POST', route: '/api/rooms/{id}/mute', path: (f) => `/api/rooms/${priv(f)}/mute`, body: () => ({}), expect: membersOf('private', 200) },
  // Nobody has muted: members get 404 'not muted', outsiders their usual 403/404.
  { method: 'GET', route: '/api/rooms/{id}/mute', path: (f) => `/api/rooms/${pub(f)}/mute`, expect: membersOf('public', 404) },
  { method: 'GET', route: '/api/rooms/{id}/mute', path: (f) => `/api/rooms/${priv(f)}/mute`, expect: membersOf('private', 404) },
  { method: 'DELETE', route: '/api/rooms/{id}/mute', path: (f) => `/api/rooms/${pub(f)}/mute`, expect: membersOf('public', 204) },
  { method: 'DELETE', route: '/api/rooms/{id}/mute', path: (f) => `/api/rooms/${priv(f)}/mute`, expect: membersOf('private', 204) },
  {
    method: 'POST',
    route: '/api/rooms/{id}/attachments',
    path: (f) => `/api/rooms/${pub(f)}/attachments?name=matrix.json`,
    body: () => ({ file: 'contents' }),
    expect: membersOf('public', 201),
  },
  {
    method: 'POST',
    route: '/api/rooms/{id}/attachments',
    path: (f) => `/api/rooms/${priv(f)}/attachments?name=matrix.json`,
    body: () => ({ file: 'contents' }),
    expect: membersOf('private', 201),
  },
  // Files of a private room: members only, 404 for everyone else (existence not revealed).
  { method: 'GET', route: '/api/attachments/{id}', path: (f) => `/api/attachments/${f.privateAttachment}`, expect: membersOf('private', 200) },
  { method: 'GET', route: '/api/attachments/{id}/thumbnail', path: (f) => `/api/attachments/${f.privateAttachment}/thumbnail`, expect: membersOf('private', 200) },
  // Reactions: any member (not while timed out), on any member's message; outsiders their usual 403/404.
  ...(['public', 'private'] as const).flatMap((kind): Row[] => [
    {
      method: 'PUT',
      route: '/api/rooms/{id}/messages/{messageId}/reactions/{emoji}',
      path: (f) => `/api/rooms/${kind === 'public' ? pub(f) : priv(f)}/messages/${f.memberMessage[kind]}/reactions/${encodeURIComponent('👍')}`,
      // A timed-out member adds no reactions (taking one back is allowed).
      expect: sendsOf(kind, 200),
      errors: { timedOut: TIMED_OUT },
      check: (f, _caller, r) => expect(r.body).toEqual({ messageId: f.memberMessage[kind], reactions: [{ emoji: '👍', count: 1, mine: true }] }),
    },
    {
      method: 'DELETE',
      route: '/api/rooms/{id}/messages/{messageId}/reactions/{emoji}',
      path: (f) => `/api/rooms/${kind === 'public' ? pub(f) : priv(f)}/messages/${f.memberMessage[kind]}/reactions/${encodeURIComponent('👍')}`,
      expect: membersOf(kind, 200),
      check: (f, _caller, r) => expect(r.body).toEqual({ messageId: f.memberMessage[kind], reactions: [] }),
    },
  ]),
  { method: 'GET', route: '/api/me/settings', path: () => '/api/me/settings', expect: anyUser(200), check: (_f, _caller, r) => expect(r.body).toEqual({ notifyMentionsWhenMuted: true }) },
  {
    method: 'PATCH',
    route: '/api/me/settings',
    path: () => '/api/me/settings',
    body: () => ({ notifyMentionsWhenMuted: false }),
    expect: anyUser(200),
    check: async (_f, caller, r, api) => {
      expect(r.body).toEqual({ notifyMentionsWhenMuted: false });
      expect(await api.store.getUserSettings(caller.id)).toEqual({ notifyMentionsWhenMuted: false });
    },
  },
  // Operators only (users.is_admin); none of these roles is one.
  { method: 'GET', route: '/api/admin/push/dead-letters', path: () => '/api/admin/push/dead-letters', expect: anyUser(403) },
  { method: 'POST', route: '/api/admin/push/dead-letters/{id}/replay', path: () => '/api/admin/push/dead-letters/1/replay', expect: anyUser(403) },
  // Open by design: probes, metrics (keep off public ingress), docs, sign-up and login.
  { method: 'GET', route: '/healthz', path: () => '/healthz', expect: everyone(200) },
  { method: 'GET', route: '/readyz', path: () => '/readyz', expect: everyone(200) },
  { method: 'GET', route: '/metrics', path: () => '/metrics', expect: everyone(200) },
  {
    method: 'POST',
    route: '/api/auth/signup',
    path: () => '/api/auth/signup',
    body: () => {
      const username = randomName('m');
      return { username, email: `${username}@example.test`, password: 'long enough password' };
    },
    expect: everyone(201),
  },
  {
    method: 'POST',
    route: '/api/auth/login',
    path: () => '/api/auth/login',
    body: () => ({ login: randomName('nobody'), password: 'wrong password' }),
    expect: everyone(401),
  },
  // Account routes: the fixture holds no passwords, so a password route is exercised up to its
  // password check (403 for everyone signed in); test/account.test.ts covers the successes.
  {
    method: 'POST',
    route: '/api/me/logout-all',
    path: () => '/api/me/logout-all',
    expect: anyUser(204),
    check: async (_f, caller, _r, api) => expect((await api.call('GET', '/api/me', { token: caller.token })).status).toBe(401),
  },
  { method: 'POST', route: '/api/me/password', path: () => '/api/me/password', body: () => ({ currentPassword: 'not-the-password', newPassword: 'new-password-1' }), expect: anyUser(403) },
  { method: 'DELETE', route: '/api/me', path: () => '/api/me', body: () => ({ password: 'not-the-password' }), expect: anyUser(403) },
  // Moderation (docs/moderation.md): the creator owns the room; a plain member is no moderator.
  // Moderators and banned users: moderation-routes.test.ts.
  { method: 'GET', route: '/api/rooms/{id}/settings', path: (f) => `/api/rooms/${pub(f)}/settings`, expect: anyUser(200) },
  { method: 'GET', route: '/api/rooms/{id}/settings', path: (f) => `/api/rooms/${priv(f)}/settings`, expect: membersOf('private', 200) },
  { method: 'PATCH', route: '/api/rooms/{id}/settings', path: (f) => `/api/rooms/${pub(f)}/settings`, body: () => ({ topic: 'hi' }), expect: ownerOnly('public', 200) },
  { method: 'PATCH', route: '/api/rooms/{id}/settings', path: (f) => `/api/rooms/${priv(f)}/settings`, body: () => ({ slowModeSeconds: 5 }), expect: ownerOnly('private', 200) },
  {
    method: 'DELETE',
    route: '/api/rooms/{id}',
    path: (f) => `/api/rooms/${priv(f)}`,
    expect: ownerOnly('private', 204),
    check: async (f, _caller, _r, api) => expect(await api.store.getRoom(priv(f))).toBeNull(),
  },
  { method: 'DELETE', route: '/api/rooms/{id}', path: (f) => `/api/rooms/${pub(f)}`, expect: ownerOnly('public', 204) },
  { method: 'GET', route: '/api/rooms/{id}/members', path: (f) => `/api/rooms/${priv(f)}/members`, expect: membersOf('private', 200) },
  { method: 'GET', route: '/api/rooms/{id}/members', path: (f) => `/api/rooms/${pub(f)}/members`, expect: membersOf('public', 200) },
  {
    method: 'PUT',
    route: '/api/rooms/{id}/members/{userId}/role',
    path: (f) => `/api/rooms/${priv(f)}/members/${f.member.id}/role`,
    body: () => ({ role: 'moderator' }),
    expect: ownerOnly('private', 200),
    check: (f, _caller, r) => expect(r.body).toMatchObject({ userId: f.member.id, role: 'moderator' }),
  },
  { method: 'POST', route: '/api/rooms/{id}/transfer', path: (f) => `/api/rooms/${pub(f)}/transfer`, body: (f) => ({ userId: f.member.id }), expect: ownerOnly('public', 204) },
  {
    method: 'DELETE',
    route: '/api/rooms/{id}/members/{userId}',
    path: (f) => `/api/rooms/${priv(f)}/members/${f.member.id}`,
    expect: ownerOnly('private', 204),
    check: async (f, _caller, _r, api) => expect(await api.store.isMember(priv(f), f.member.id)).toBe(false),
  },
  { method: 'GET', route: '/api/rooms/{id}/bans', path: (f) => `/api/rooms/${pub(f)}/bans`, expect: ownerOnly('public', 200) },
  { method: 'GET', route: '/api/rooms/{id}/bans', path: (f) => `/api/rooms/${priv(f)}/bans`, expect: ownerOnly('private', 200) },
  {
    method: 'PUT',
    route: '/api/rooms/{id}/bans/{userId}',
    path: (f) => `/api/rooms/${pub(f)}/bans/${f.otherUser.id}`,
    expect: ownerOnly('public', 204),
    check: async (f, _caller, _r, api) => expect(await api.store.isBanned(pub(f), f.otherUser.id)).toBe(true),
  },
  // Nobody is banned: the owner gets 404 'not banned'.
  { method: 'DELETE', route: '/api/rooms/{id}/bans/{userId}', path: (f) => `/api/rooms/${pub(f)}/bans/${f.otherUser.id}`, expect: ownerOnly('public', 404) },
  {
    method: 'PUT',
    route: '/api/rooms/{id}/timeouts/{userId}',
    path: (f) => `/api/rooms/${priv(f)}/timeouts/${f.member.id}`,
    body: () => ({ minutes: 5 }),
    expect: ownerOnly('private', 200),
    check: (_f, _caller, r) => expect(Date.parse(r.body.until)).toBeGreaterThan(Date.now()),
  },
  { method: 'GET', route: '/api/rooms/{id}/moderation-log', path: (f) => `/api/rooms/${pub(f)}/moderation-log`, expect: ownerOnly('public', 200) },
  { method: 'GET', route: '/api/rooms/{id}/moderation-log', path: (f) => `/api/rooms/${priv(f)}/moderation-log`, expect: ownerOnly('private', 200) },
];

describe('REST access matrix', () => {
  let testStore: TestStore;
  let api: TestApi;
  let cells = 0;
  let objectsDir: string;
  let objects: FsObjectStore;

  beforeAll(async () => {
    testStore = await createTestStore('pglite');
    objectsDir = await mkdtemp(path.join(tmpdir(), 'chorus-matrix-'));
    objects = await new FsObjectStore(objectsDir).open();
    api = await startTestApi('pglite', { store: testStore.store, objects, presence: new MemoryPresence({ ttlMs: 30_000 }), env: { LOGIN_ATTEMPTS_PER_MINUTE: '1000' } });
  });
  afterAll(async () => {
    await api?.close();
    await testStore?.cleanup();
    await rm(objectsDir, { recursive: true, force: true });
    console.log(`[matrix] REST: ${cells} cells (${MATRIX.length} rows × ${ROLES.length} roles)`);
  });

  async function person(prefix: string): Promise<Person> {
    const username = randomName(prefix);
    const user = await api.store.createUser({ username, email: `${username}@example.test`, passwordHash: 'scrypt$x' });
    return { id: user.id, username, token: await api.tokens.issue({ userId: user.id, username }) };
  }

  async function fixture(): Promise<Fixture> {
    const [creator, member, nonMember, otherUser, banned, timedOut, blocked] = await Promise.all(
      ['creator', 'member', 'outsider', 'other', 'banned', 'timedout', 'blocked'].map((prefix) => person(prefix)),
    ) as [Person, Person, Person, Person, Person, Person, Person];
    // Straight through the store: the cells, not the setup, exercise the API.
    const store = api.store;
    const [publicRoom, privateRoom] = await Promise.all([
      store.createRoom({ name: 'matrix public', private: false, createdBy: creator.id }),
      store.createRoom({ name: 'matrix private', private: true, createdBy: creator.id }),
    ]);
    for (const room of [publicRoom, privateRoom]) for (const p of [member, banned, timedOut]) await store.addMember(room.id, p.id);
    await Promise.all([
      store.appendMessage({ roomId: privateRoom.id, senderId: creator.id, type: 'text', text: 'secret plans' }),
      store.appendMessage({ roomId: publicRoom.id, senderId: creator.id, type: 'text', text: 'secret public' }),
    ]);
    const memberDevice = `device-${randomUUID()}`;
    await store.upsertDevice(member.id, memberDevice, 'android');
    const privateAttachment = randomUUID();
    const key = attachmentKey(privateRoom.id, privateAttachment);
    const thumb = thumbnailKey(privateRoom.id, privateAttachment);
    await objects.put(key, Readable.from([Buffer.from('bytes')]), { contentType: 'image/png' });
    await objects.put(thumb, Readable.from([Buffer.from('thumb')]), { contentType: 'image/webp' });
    await store.createAttachment({ id: privateAttachment, roomId: privateRoom.id, uploaderId: creator.id, name: 'p.png', contentType: 'image/png', size: 5, width: 1, height: 1, objectKey: key, thumbnailKey: thumb });
    await store.appendMemberMessages([{ roomId: privateRoom.id, senderId: creator.id, text: '', attachments: [privateAttachment] }]);
    const said = await store.appendMemberMessages(
      [member, timedOut, creator].flatMap((sender) => [publicRoom, privateRoom].map((room) => ({ roomId: room.id, senderId: sender.id, text: 'typo' }))),
    );
    const byRoom = (i: number) => ({ public: said[2 * i]!.id, private: said[2 * i + 1]!.id });
    const dm = (await store.openDirectRoom(creator.id, member.id))!.room;
    await store.appendMessage({ roomId: dm.id, senderId: creator.id, type: 'text', text: 'secret dm' });
    const blockedDm = (await store.openDirectRoom(creator.id, blocked.id))!.room;
    const [blockedSaid] = await store.appendMemberMessages([{ roomId: blockedDm.id, senderId: blocked.id, text: 'before the block' }]);
    // The sanctions, as a moderator (the creator) or the blocker would set them.
    const until = new Date(Date.now() + 3_600_000).toISOString();
    for (const room of [publicRoom, privateRoom]) {
      await store.removeMemberBy(room.id, banned.id, { ban: true, from: ['member'] }, { actorId: creator.id, action: 'ban', targetId: banned.id });
      await store.setRoomTimeout(room.id, timedOut.id, until, { actorId: creator.id, action: 'timeout', targetId: timedOut.id });
    }
    expect(await store.blockUser(creator.id, blocked.id, 500)).toBe('added');
    return {
      ...{ creator, member, nonMember, otherUser, banned, timedOut, blocked, publicRoom, privateRoom, memberDevice, privateAttachment },
      ...{ memberMessage: byRoom(0), timedOutMessage: byRoom(1), creatorMessage: byRoom(2), dm, blockedDm, blockedDmMessage: blockedSaid!.id },
    };
  }

  it('every documented route has a row', async () => {
    const doc = (await api.call('GET', '/docs/json')).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    const covered = new Set(MATRIX.map((r) => `${r.method} ${r.route}`));
    expect(documented.filter((route) => !covered.has(route)), 'add rows to MATRIX in access-matrix.test.ts').toEqual([]);
  });

  const placeholders = {
    publicRoom: { id: '<public>' },
    privateRoom: { id: '<private>' },
    memberDevice: '<member-device>',
    memberMessage: { public: '<member-message>', private: '<member-message>' },
    timedOutMessage: { public: '<timed-out-message>', private: '<timed-out-message>' },
    creatorMessage: { public: '<creator-message>', private: '<creator-message>' },
    creator: { id: '<creator>' },
    blockedDm: { id: '<blocked-dm>' },
    blockedDmMessage: '<blocked-dm-message>',
    member: { id: '<member>' },
    otherUser: { id: '<other-user>' },
    dm: { id: '<dm>' },
  } as unknown as Fixture;
  const cases = MATRIX.flatMap((row) => ROLES.map((role) => ({ row, role, name: `${row.method} ${row.path(placeholders)} as ${role} → ${row.expect[role]}` })));

  let shared: Fixture | undefined;
  it.each(cases)('$name', async ({ row, role }) => {
    cells++;
    // Reads share one fixture; anything that may change state gets its own.
    const f = row.method === 'GET' ? (shared ??= await fixture()) : await fixture();
    const caller = role === 'anonymous' ? undefined : f[role];
    const body = row.body?.(f, caller);
    const reply = await api.call(row.method, row.path(f), { ...(caller ? { token: caller.token } : {}), ...(body !== undefined ? { json: body } : {}) });
    expect(reply.status, reply.text).toBe(row.expect[role]);
    if (reply.status >= 400) expect(reply.body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
    const error = row.errors?.[role];
    if (error) expect(reply.body.error.message).toMatch(error);
    if (reply.status < 300 && caller && row.check) await row.check(f, caller, reply, api);
    if (row.method === 'DELETE' && row.route === '/api/devices/{token}' && reply.status !== 204) {
      expect((await api.store.listDevices(f.member.id)).map((d) => d.token)).toContain(f.memberDevice);
    }
  });

  it('an operator (is_admin) passes the admin gate that refuses everyone else', async () => {
    const admin = await person('admin');
    await testStore.db.query('UPDATE users SET is_admin = true WHERE id = $1', [admin.id]);
    const reply = await api.call('GET', '/api/admin/push/dead-letters', { token: admin.token });
    expect(reply.status).not.toBe(403);
    expect([200, 503]).toContain(reply.status); // 503 when this process has no push queue
  });

  it('a public room list never shows private rooms, on any page', async () => {
    const f = await fixture();
    let cursor: string | null = null;
    const seen: string[] = [];
    do {
      const reply: Reply = await api.call('GET', `/api/rooms?limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: f.member.token });
      expect(reply.status).toBe(200);
      seen.push(...(reply.body.rooms as Room[]).map((r) => r.id));
      for (const room of reply.body.rooms as Room[]) expect(room.private).toBe(false);
      cursor = reply.body.nextCursor as string | null;
    } while (cursor);
    expect(seen).toContain(f.publicRoom.id);
    expect(seen).not.toContain(f.privateRoom.id);
  });
});
