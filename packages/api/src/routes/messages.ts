import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { RouteDeps } from '../deps.js';
import { actorOf } from '../plugins/authenticate.js';
import { sendRateLimitFor, userRateLimit, windowForRate } from '../plugins/user-rate-limit.js';
import { bearerAuth, errorResponses, Message, RoomIdParams } from '../schemas.js';

const MessageParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'room id' }),
  messageId: Type.String({ format: 'uuid', description: 'message id' }),
});

const HistoryQuery = Type.Object({
  before: Type.Optional(Type.Integer({ minimum: 1, description: 'only messages with seq < before' })),
  after: Type.Optional(Type.Integer({ minimum: 0, description: 'only messages with seq > after' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
});

export const messageRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { chat, config }) => {
  // Per-user budgets, counted in Redis when the api has REDIS_URL (see app.ts).
  const sendRateLimit = sendRateLimitFor(config.limits);
  const { historyReadBurst, historyReadRatePerSecond } = config.limits;

  // History pages read up to 200 messages each: without a budget one user flooding them (64 in
  // flight) slowed every other user's sends about tenfold (docs/hardening.md). Same shape as the
  // send budget: HISTORY_READ_BURST pages per window of burst/rate seconds.
  const historyRateLimit = userRateLimit({
    key: 'history',
    burst: historyReadBurst,
    windowMs: windowForRate(historyReadBurst, historyReadRatePerSecond),
    message: 'reading history too fast; slow down',
  });

  const SendBody = Type.Object(
    // Length is checked by ChatService (413 above the limit), the same rule as a STOMP SEND.
    {
      text: Type.Optional(Type.String({ description: `1..${chat.maxMessageLength} characters; may be empty or absent with attachments` })),
      attachments: Type.Optional(
        Type.Array(Type.String({ format: 'uuid' }), { maxItems: config.attachments.maxPerMessage, description: 'ids of uploads (POST /api/rooms/:id/attachments) to send' }),
      ),
      replyTo: Type.Optional(Type.String({ format: 'uuid', description: 'id of a message of this room that this one answers' })),
    },
    // Text, attachments, or both.
    { additionalProperties: false, anyOf: [{ required: ['text'] }, { required: ['attachments'] }] },
  );

  app.get(
    '/api/rooms/:id/messages',
    {
      onRequest: app.authenticate,
      config: { rateLimit: historyRateLimit },
      schema: {
        tags: ['messages'],
        summary: 'Room history, ascending by seq (members only)',
        description: 'Without `after`, the newest `limit` messages (before `before` when given); with `after`, the oldest `limit` messages after it.',
        security: bearerAuth,
        params: RoomIdParams,
        querystring: HistoryQuery,
        response: { 200: Type.Object({ messages: Type.Array(Message) }), ...errorResponses(400, 401, 403, 404, 429) },
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
      config: { rateLimit: sendRateLimit },
      schema: {
        tags: ['messages'],
        summary: 'Send a message, with text and/or attachments (delivered to WebSocket subscribers like a STOMP SEND)',
        security: bearerAuth,
        params: RoomIdParams,
        body: SendBody,
        response: { 201: Message, ...errorResponses(400, 401, 403, 404, 409, 413, 429) },
      },
    },
    async (request, reply) => {
      const { text, attachments, replyTo } = request.body;
      const content = attachments === undefined && replyTo === undefined ? text : { text, attachments, replyTo };
      const message = await chat.send(actorOf(request), request.params.id, content, 'http');
      return reply.status(201).send(message);
    },
  );

  // Edits and deletes are entries of the room's sequence: the answer is the stored edit/delete
  // entry (with its seq); subscribers get it live and on resume like any message.
  app.patch(
    '/api/rooms/:id/messages/:messageId',
    {
      onRequest: app.authenticate,
      config: { rateLimit: sendRateLimit },
      schema: {
        tags: ['messages'],
        summary: 'Edit a message of yours (within MESSAGE_EDIT_WINDOW_SECONDS of sending)',
        security: bearerAuth,
        params: MessageParams,
        body: Type.Object({ text: Type.String({ description: `1..${chat.maxMessageLength} characters` }) }, { additionalProperties: false }),
        response: { 200: Message, ...errorResponses(400, 401, 403, 404, 409, 413, 429) },
      },
    },
    async (request) => chat.editMessage(actorOf(request), request.params.id, request.params.messageId, request.body.text, 'http'),
  );

  app.delete(
    '/api/rooms/:id/messages/:messageId',
    {
      onRequest: app.authenticate,
      config: { rateLimit: sendRateLimit },
      schema: {
        tags: ['messages'],
        summary: "Delete a message (its sender, or the room's creator): history keeps a tombstone without text or files",
        security: bearerAuth,
        params: MessageParams,
        response: { 200: Message, ...errorResponses(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request) => chat.deleteMessage(actorOf(request), request.params.id, request.params.messageId, 'http'),
  );
};
