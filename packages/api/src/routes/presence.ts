import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { unavailable } from '@chorus/core';
import type { RouteDeps } from '../deps.js';
import { actorOf } from '../plugins/authenticate.js';
import { bearerAuth, errorResponses, RoomIdParams, Uuid } from '../schemas.js';

const OnlineUsers = Type.Object({
  online: Type.Array(Type.Object({ id: Uuid, username: Type.String() })),
});

export const presenceRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { chat, presence }) => {
  app.get(
    '/api/rooms/:id/presence',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['rooms'],
        summary: 'Users online in a room (members only)',
        description:
          'A user is online while one of their sessions, on any chat-server replica, subscribes to /topic/rooms/<id>. ' +
          'Entries of a replica that dies expire within PRESENCE_TTL_MS. Changes are pushed on /topic/rooms/<id>/presence.',
        security: bearerAuth,
        params: RoomIdParams,
        response: { 200: OnlineUsers, ...errorResponses(401, 403, 404, 503) },
      },
    },
    async (request) => {
      await chat.requireMember(actorOf(request), request.params.id);
      if (!presence) throw unavailable('presence is not configured in this process');
      return { online: await presence.online(request.params.id) };
    },
  );
};
