import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { RouteDeps } from '../deps.js';
import { actorOf } from '../plugins/authenticate.js';
import { bearerAuth, errorResponses, Message } from '../schemas.js';

const SearchQuery = Type.Object({
  q: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'web-search syntax: words, "phrases", -exclusions, or' }),
  roomId: Type.Optional(Type.String({ format: 'uuid', description: 'only this room (the caller must be a member)' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
});

export const searchRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { chat }) => {
  app.get(
    '/api/search',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['search'],
        summary: "Full-text search over the caller's rooms, newest first",
        security: bearerAuth,
        querystring: SearchQuery,
        response: { 200: Type.Object({ messages: Type.Array(Message) }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { q, roomId, limit } = request.query;
      return { messages: await chat.searchMessages(actorOf(request), { text: q, roomId, limit: limit ?? 20 }) };
    },
  );
};
