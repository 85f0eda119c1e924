import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { RouteDeps } from '../deps.js';
import { actorOf } from '../plugins/authenticate.js';
import { bearerAuth, errorResponses, RoomIdParams, Uuid } from '../schemas.js';

const MuteBody = Type.Object(
  { until: Type.Optional(Type.String({ format: 'date-time', description: 'end of the mute; omitted: until unmuted' })) },
  { additionalProperties: false },
);

const RoomMute = Type.Object({
  roomId: Uuid,
  userId: Uuid,
  until: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'null: until unmuted' }),
});

/** Per-room push mutes of the caller. */
export const muteRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { chat }) => {
  const common = { onRequest: app.authenticate };
  const schema = { tags: ['push'], security: bearerAuth, params: RoomIdParams };

  app.post(
    '/api/rooms/:id/mute',
    {
      ...common,
      schema: {
        ...schema,
        summary: 'Mute push notifications of a room for the caller (again: replaces the end)',
        body: MuteBody,
        response: { 200: RoomMute, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      return chat.muteRoom(actorOf(request), request.params.id, request.body.until ?? null);
    },
  );

  app.get(
    '/api/rooms/:id/mute',
    {
      ...common,
      schema: { ...schema, summary: "The caller's mute of a room (404 when not muted)", response: { 200: RoomMute, ...errorResponses(401, 403, 404) } },
    },
    async (request) => chat.getRoomMute(actorOf(request), request.params.id),
  );

  app.delete(
    '/api/rooms/:id/mute',
    {
      ...common,
      schema: { ...schema, summary: 'Unmute a room (idempotent)', response: { 204: Type.Null({ description: 'not muted any more' }), ...errorResponses(401, 403, 404) } },
    },
    async (request, reply) => {
      await chat.unmuteRoom(actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
};
