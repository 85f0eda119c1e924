import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { MODERATION_LIMITS } from '@chorus/core';
import { Type } from '@sinclair/typebox';
import type { RouteDeps } from '../deps.js';
import { actorOf } from '../plugins/authenticate.js';
import { budget } from '../plugins/budget.js';
import { bearerAuth, errorResponses, RoomIdParams, Uuid } from '../schemas.js';

const Role = Type.Union([Type.Literal('owner'), Type.Literal('moderator'), Type.Literal('member')]);

const RoomSettings = Type.Object({
  roomId: Uuid,
  name: Type.String(),
  topic: Type.String(),
  announcement: Type.Boolean({ description: 'only owners and moderators post' }),
  slowModeSeconds: Type.Integer({ minimum: 0, description: 'one message per member per this many seconds; 0: off' }),
  version: Type.Integer({ minimum: 0, description: 'moves up by one with every change, in commit order: of two copies of the settings (this answer, settings events), show the higher version' }),
});

const RoomStanding = Type.Composite([
  RoomSettings,
  Type.Object({
    role: Type.Union([Role, Type.Null()], { description: "the caller's role; null when not a member (public rooms)" }),
    timedOutUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  }),
]);

const SettingsBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'owner only' })),
    topic: Type.Optional(Type.String({ maxLength: MODERATION_LIMITS.maxTopicLength * 2, description: `owner only; at most ${MODERATION_LIMITS.maxTopicLength} characters` })),
    announcement: Type.Optional(Type.Boolean({ description: 'owner only' })),
    slowModeSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MODERATION_LIMITS.maxSlowModeSeconds, description: 'moderators; 0 turns slow mode off' })),
  },
  { additionalProperties: false },
);

const RoomMember = Type.Object({ userId: Uuid, username: Type.String(), role: Role });
const RoomBan = Type.Object({ userId: Uuid, username: Type.String(), bannedBy: Type.Union([Uuid, Type.Null()]), createdAt: Type.String({ format: 'date-time' }) });
const LogEntry = Type.Object({
  id: Type.Integer({ minimum: 1 }),
  roomId: Uuid,
  actorId: Type.Union([Uuid, Type.Null()]),
  actorUsername: Type.Union([Type.String(), Type.Null()]),
  action: Type.String({ description: 'role, transfer, kick, ban, unban, timeout, slow-mode, announcement, rename, topic or delete-message' }),
  targetId: Type.Union([Uuid, Type.Null()]),
  detail: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Type.String({ format: 'date-time' }),
});

const MemberParams = Type.Object({ id: Type.String({ format: 'uuid', description: 'room id' }), userId: Type.String({ format: 'uuid', description: 'user id' }) });
const PageLimit = Type.Optional(Type.Integer({ minimum: 1, maximum: MODERATION_LIMITS.maxPage, default: 50 }));

/** Rooms with owners: roles, kicks, bans, timeouts, settings, deletion and the moderation log (docs/moderation.md). */
export const moderationRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { moderation, config }) => {
  const common = { onRequest: app.authenticate };
  const schema = { tags: ['moderation'], security: bearerAuth };
  // Kicks and bans store leave messages; role changes and settings write log rows: budgeted like membership changes.
  const { membershipBurst, membershipRatePerMinute } = config.limits;
  const moderationBudget = budget(app, {
    max: membershipBurst,
    timeWindowMs: Math.ceil((membershipBurst / membershipRatePerMinute) * 60_000),
    key: (request) => `moderation|${actorOf(request).id}`,
    message: 'moderating too fast; slow down',
  });
  const changing = { ...common, preHandler: moderationBudget };

  app.get(
    '/api/rooms/:id/settings',
    {
      ...common,
      schema: { ...schema, summary: "A room's settings and the caller's role (public rooms: anyone; private: members)", params: RoomIdParams, response: { 200: RoomStanding, ...errorResponses(401, 404) } },
    },
    async (request) => moderation.standing(actorOf(request), request.params.id),
  );

  app.patch(
    '/api/rooms/:id/settings',
    {
      ...changing,
      schema: {
        ...schema,
        summary: 'Change room settings: name, topic, announcement (owner), slowModeSeconds (moderators)',
        params: RoomIdParams,
        body: SettingsBody,
        response: { 200: RoomSettings, ...errorResponses(400, 401, 403, 404, 413, 429) },
      },
    },
    async (request) => moderation.updateSettings(actorOf(request), request.params.id, request.body),
  );

  app.delete(
    '/api/rooms/:id',
    {
      ...changing,
      schema: { ...schema, summary: 'Delete the room with its history and files (owner only)', params: RoomIdParams, response: { 204: Type.Null({ description: 'deleted' }), ...errorResponses(401, 403, 404, 429) } },
    },
    async (request, reply) => {
      await moderation.deleteRoom(actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/rooms/:id/members',
    {
      ...common,
      schema: {
        ...schema,
        summary: 'Members with their roles: owner and moderators first, then by username (members only)',
        params: RoomIdParams,
        querystring: Type.Object({ limit: PageLimit, after: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'the last username of the previous page' })) }),
        response: { 200: Type.Object({ members: Type.Array(RoomMember) }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => ({ members: await moderation.members(actorOf(request), request.params.id, { limit: request.query.limit ?? 50, after: request.query.after }) }),
  );

  app.put(
    '/api/rooms/:id/members/:userId/role',
    {
      ...changing,
      schema: {
        ...schema,
        summary: 'Make a member a moderator or a moderator a member (owner only)',
        params: MemberParams,
        body: Type.Object({ role: Type.Union([Type.Literal('moderator'), Type.Literal('member')]) }, { additionalProperties: false }),
        response: { 200: RoomMember, ...errorResponses(400, 401, 403, 404, 413, 429) },
      },
    },
    async (request) => moderation.setRole(actorOf(request), request.params.id, request.params.userId, request.body.role),
  );

  app.post(
    '/api/rooms/:id/transfer',
    {
      ...changing,
      schema: {
        ...schema,
        summary: 'Hand the room to another member; the owner becomes a moderator (owner only)',
        params: RoomIdParams,
        body: Type.Object({ userId: Uuid }, { additionalProperties: false }),
        response: { 204: Type.Null({ description: 'transferred' }), ...errorResponses(400, 401, 403, 404, 413, 429) },
      },
    },
    async (request, reply) => {
      await moderation.transfer(actorOf(request), request.params.id, request.body.userId);
      return reply.status(204).send(null);
    },
  );

  app.delete(
    '/api/rooms/:id/members/:userId',
    {
      ...changing,
      schema: {
        ...schema,
        summary: 'Remove (kick) a member: moderators remove members, the owner moderators too. They may come back.',
        params: MemberParams,
        response: { 204: Type.Null({ description: 'removed' }), ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request, reply) => {
      await moderation.kick(actorOf(request), request.params.id, request.params.userId);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/rooms/:id/bans',
    {
      ...common,
      schema: {
        ...schema,
        summary: 'Banned users, newest first (moderators only)',
        params: RoomIdParams,
        querystring: Type.Object({ limit: PageLimit }),
        response: { 200: Type.Object({ bans: Type.Array(RoomBan) }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => ({ bans: await moderation.bans(actorOf(request), request.params.id, { limit: request.query.limit ?? 50 }) }),
  );

  app.put(
    '/api/rooms/:id/bans/:userId',
    {
      ...changing,
      schema: {
        ...schema,
        summary: 'Ban a user (removed if a member; cannot join or be added until unbanned) (moderators)',
        params: MemberParams,
        response: { 204: Type.Null({ description: 'banned' }), ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request, reply) => {
      await moderation.ban(actorOf(request), request.params.id, request.params.userId);
      return reply.status(204).send(null);
    },
  );

  app.delete(
    '/api/rooms/:id/bans/:userId',
    {
      ...changing,
      schema: { ...schema, summary: 'Lift a ban (moderators)', params: MemberParams, response: { 204: Type.Null({ description: 'unbanned' }), ...errorResponses(401, 403, 404, 429) } },
    },
    async (request, reply) => {
      await moderation.unban(actorOf(request), request.params.id, request.params.userId);
      return reply.status(204).send(null);
    },
  );

  app.put(
    '/api/rooms/:id/timeouts/:userId',
    {
      ...changing,
      schema: {
        ...schema,
        summary: 'Time a member out: they cannot send for `minutes` (0 lifts the timeout) (moderators)',
        params: MemberParams,
        body: Type.Object({ minutes: Type.Integer({ minimum: 0, maximum: MODERATION_LIMITS.maxTimeoutMinutes }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ until: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]) }), ...errorResponses(400, 401, 403, 404, 413, 429) },
      },
    },
    async (request) => ({ until: await moderation.timeout(actorOf(request), request.params.id, request.params.userId, request.body.minutes) }),
  );

  app.get(
    '/api/rooms/:id/moderation-log',
    {
      ...common,
      schema: {
        ...schema,
        summary: 'Moderation actions, newest first (moderators only)',
        params: RoomIdParams,
        querystring: Type.Object({ limit: PageLimit, before: Type.Optional(Type.Integer({ minimum: 1, description: 'the last id of the previous page' })) }),
        response: { 200: Type.Object({ entries: Type.Array(LogEntry) }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => ({ entries: await moderation.log(actorOf(request), request.params.id, { limit: request.query.limit ?? 50, before: request.query.before }) }),
  );
};
