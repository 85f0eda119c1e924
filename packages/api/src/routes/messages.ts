import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../deps.js';
import { actorOf } from '../plugins/authenticate.js';
import { bearerAuth, errorResponses, Message, RoomIdParams } from '../schemas.js';

const HistoryQuery = Type.Object({
  before: Type.Optional(Type.Integer({ minimum: 1, description: 'only messages with seq < before' })),
  after: Type.Optional(Type.Integer({ minimum: 0, description: 'only messages with seq > after' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
});

export const messageRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { chat }) => {
  const SendBody = Type.Object(
    // Length is checked by ChatService (413 above the limit), the same rule as a STOMP SEND.
    { text: Type.String({ description: `1..${chat.maxMessageLength} characters` }) },
    { additionalProperties: false },
  );

  app.get(
    '/api/rooms/:id/messages',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['messages'],
        summary: 'Room history, ascending by seq (members only)',
        description: 'Without `after`, the newest `limit` messages (before `before` when given); with `after`, the oldest `limit` messages after it.',
        security: bearerAuth,
        params: RoomIdParams,
        querystring: HistoryQuery,
        response: { 200: Type.Object({ messages: Type.Array(Message) }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { before, after, limit } = request.query;
      const messages = await chat.history(actorOf(request), request.params.id, { before, after, limit: limit ?? 50 });
      return { messages };
    },
  );

  app.post(
    '/api/rooms/:id/messages',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['messages'],
        summary: 'Send a text message (delivered to WebSocket subscribers like a STOMP SEND)',
        security: bearerAuth,
        params: RoomIdParams,
        body: SendBody,
        response: { 201: Message, ...errorResponses(400, 401, 403, 404, 413) },
      },
    },
    async (request, reply) => {
      const message = await chat.send(actorOf(request), request.params.id, request.body.text, 'http');
      return reply.status(201).send(message);
    },
  );
};
