import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { RouteDeps } from '../deps.js';
import { actorOf } from '../plugins/authenticate.js';
import { budget } from '../plugins/budget.js';
import { bearerAuth, errorResponses, Room, RoomIdParams, Uuid } from '../schemas.js';

const CreateRoomBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100 }), private: Type.Optional(Type.Boolean({ default: false })) },
  { additionalProperties: false },
);

const PublicRoomsQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'nextCursor of the previous page' })),
});

const RoomPage = Type.Object({
  rooms: Type.Array(Room),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'null on the last page' }),
});

const MemberRoom = Type.Composite([
  Room,
  Type.Object({
    lastSeq: Type.Integer({ minimum: 0 }),
    lastReadSeq: Type.Integer({ minimum: 0 }),
    unread: Type.Integer({ minimum: 0 }),
    direct: Type.Optional(Type.Object({ userId: Uuid, username: Type.String() }, { description: 'direct rooms: the other person' })),
    mentions: Type.Integer({ minimum: 0, description: 'unread messages that mention the caller (docs/conversations.md)' }),
  }),
]);

const AddMemberBody = Type.Object({ userId: Uuid }, { additionalProperties: false });
const ReadBody = Type.Object({ seq: Type.Integer({ minimum: 0 }) }, { additionalProperties: false });

export const roomRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { chat, config }) => {
  const common = { onRequest: app.authenticate };
  const schema = { tags: ['rooms'], security: bearerAuth };
  const { roomCreateBurst, roomCreateRatePerMinute, membershipBurst, membershipRatePerMinute } = config.limits;
  // Per-user budgets like HTTP_SEND_*: `burst` per window of burst/rate minutes. Each room is a row
  // and each join, leave and added member a stored, broadcast system message: unbounded, they
  // flood the database, histories and replay windows. Join, leave and add-member share one
  // budget, since alternating them is the flood.
  const createBudget = budget(app, {
    max: roomCreateBurst,
    timeWindowMs: Math.ceil((roomCreateBurst / roomCreateRatePerMinute) * 60_000),
    key: (request) => `room-create|${actorOf(request).id}`,
    message: 'creating rooms too fast; slow down',
  });
  const membershipBudget = budget(app, {
    max: membershipBurst,
    timeWindowMs: Math.ceil((membershipBurst / membershipRatePerMinute) * 60_000),
    key: (request) => `membership|${actorOf(request).id}`,
    message: 'joining and leaving rooms too fast; slow down',
  });

  app.post(
    '/api/rooms',
    {
      ...common,
      preHandler: createBudget,
      schema: { ...schema, summary: 'Create a room (the creator is its first member)', body: CreateRoomBody, response: { 201: Room, ...errorResponses(400, 401, 413, 429) } },
    },
    async (request, reply) => {
      const room = await chat.createRoom(actorOf(request), request.body.name, request.body.private ?? false);
      return reply.status(201).send(room);
    },
  );

  app.get(
    '/api/rooms',
    {
      ...common,
      schema: { ...schema, summary: 'Public rooms, newest first', querystring: PublicRoomsQuery, response: { 200: RoomPage, ...errorResponses(400, 401) } },
    },
    async (request) => {
      const page = await chat.listPublicRooms({ limit: request.query.limit ?? 50, cursor: request.query.cursor });
      return { rooms: page.items, nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/me/rooms',
    {
      ...common,
      schema: { ...schema, summary: 'Rooms the caller belongs to, with unread counts', response: { 200: Type.Object({ rooms: Type.Array(MemberRoom) }), ...errorResponses(401) } },
    },
    async (request) => ({ rooms: await chat.listMemberRooms(actorOf(request)) }),
  );

  app.get(
    '/api/rooms/:id',
    {
      ...common,
      schema: { ...schema, summary: 'A room (private rooms only for members)', params: RoomIdParams, response: { 200: Room, ...errorResponses(401, 404) } },
    },
    async (request) => chat.getVisibleRoom(actorOf(request), request.params.id),
  );

  app.post(
    '/api/rooms/:id/join',
    {
      ...common,
      preHandler: membershipBudget,
      schema: { ...schema, summary: 'Join a public room (idempotent)', params: RoomIdParams, response: { 200: Room, ...errorResponses(401, 404, 429) } },
    },
    async (request) => chat.join(actorOf(request), request.params.id),
  );

  app.post(
    '/api/rooms/:id/leave',
    {
      ...common,
      preHandler: membershipBudget,
      schema: { ...schema, summary: 'Leave a room', params: RoomIdParams, response: { 204: Type.Null({ description: 'left' }), ...errorResponses(401, 403, 404, 429) } },
    },
    async (request, reply) => {
      await chat.leave(actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/rooms/:id/members',
    {
      ...common,
      preHandler: membershipBudget,
      schema: {
        ...schema,
        summary: 'Add a user to a room (members only; the way into private rooms). A user who left the room cannot be added back (403).',
        params: RoomIdParams,
        body: AddMemberBody,
        response: { 200: Room, ...errorResponses(400, 401, 403, 404, 413, 429) },
      },
    },
    async (request) => chat.addMember(actorOf(request), request.params.id, request.body.userId),
  );

  app.post(
    '/api/rooms/:id/read',
    {
      ...common,
      schema: {
        ...schema,
        summary: 'Mark messages up to seq as read (never moves backward)',
        params: RoomIdParams,
        body: ReadBody,
        response: { 200: Type.Object({ lastReadSeq: Type.Integer({ minimum: 0 }) }), ...errorResponses(400, 401, 403, 404, 413) },
      },
    },
    async (request) => ({ lastReadSeq: await chat.markRead(actorOf(request), request.params.id, request.body.seq) }),
  );
};
