import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { notFound, unavailable } from '@chorus/core';
import type { FastifyRequest } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { actorOf } from '../plugins/authenticate.js';
import { bearerAuth, errorResponses, Uuid } from '../schemas.js';

const JobId = Type.String({ pattern: '^[1-9][0-9]{0,18}$', description: 'push job id' });

const DeadLetter = Type.Object({
  id: JobId,
  roomId: Uuid,
  messageId: Uuid,
  seq: Type.Integer({ minimum: 1 }),
  attempts: Type.Integer({ minimum: 0 }),
  lastError: Type.Union([Type.String(), Type.Null()]),
  storedAt: Type.String({ format: 'date-time' }),
  deadAt: Type.String({ format: 'date-time' }),
});

const DeadLetterQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  before: Type.Optional(JobId),
});

/** Operator endpoints (users with is_admin): the push dead letters. */
export const adminRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { accounts, pushQueue }) => {
  const requireAdmin = (request: FastifyRequest) => accounts.requireAdmin(actorOf(request));
  const queue = () => {
    if (!pushQueue) throw unavailable('the push queue is not available in this process');
    return pushQueue;
  };
  const common = { onRequest: app.authenticate, preHandler: requireAdmin };
  const schema = { tags: ['admin'], security: bearerAuth };

  app.get(
    '/api/admin/push/dead-letters',
    {
      ...common,
      schema: {
        ...schema,
        summary: 'Push jobs that failed for good, newest first',
        querystring: DeadLetterQuery,
        response: {
          200: Type.Object({
            deadLetters: Type.Array(DeadLetter),
            nextBefore: Type.Union([JobId, Type.Null()], { description: 'pass as `before` for the next page; null on the last' }),
          }),
          ...errorResponses(400, 401, 403, 503),
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 100;
      const deadLetters = await queue().listDeadLetters({ limit, before: request.query.before });
      const last = deadLetters[deadLetters.length - 1];
      return { deadLetters, nextBefore: deadLetters.length === limit && last ? last.id : null };
    },
  );

  app.post(
    '/api/admin/push/dead-letters/:id/replay',
    {
      ...common,
      schema: {
        ...schema,
        summary: 'Queue a dead push job again (attempts reset; devices that already got it are skipped)',
        params: Type.Object({ id: JobId }),
        response: { 204: Type.Null({ description: 'queued again' }), ...errorResponses(401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      if (!(await queue().replay(request.params.id))) throw notFound('dead letter not found');
      return reply.status(204).send(null);
    },
  );
};
