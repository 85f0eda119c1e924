import { MAX_BLOCKS_PER_USER, USER_SEARCH_MAX_QUERY, USER_SEARCH_MAX_RESULTS } from '@chorus/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { RouteDeps } from '../deps.js';
import { actorOf } from '../plugins/authenticate.js';
import { budget } from '../plugins/budget.js';
import { bearerAuth, errorResponses, Room, Uuid } from '../schemas.js';

/**
 * Per-user budgets (docs/conversations-dms.md, SECURITY.md). User search answers at most 20 names
 * a request: 30 requests a minute keep a token from walking the user table quickly. Opening a DM
 * may create a room: 60 a minute is far above clicking "Message" and far below a flood.
 */
export const USER_SEARCH_PER_MINUTE = 30;
export const DM_OPEN_PER_MINUTE = 60;
export const BLOCK_CHANGES_PER_MINUTE = 60;

const UserSummary = Type.Object({ id: Uuid, username: Type.String() }, { additionalProperties: false });
const UserList = Type.Object({ users: Type.Array(UserSummary) });
const OpenDmBody = Type.Object({ userId: Uuid }, { additionalProperties: false });
const UserIdParams = Type.Object({ userId: Type.String({ format: 'uuid', description: 'user id' }) });
const UserSearchQuery = Type.Object({
  q: Type.String({ minLength: 1, maxLength: USER_SEARCH_MAX_QUERY, description: 'username prefix (case-insensitive; % and _ match themselves)' }),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: USER_SEARCH_MAX_RESULTS, default: USER_SEARCH_MAX_RESULTS })),
});

/** Direct messages, user search and blocks. The rules are DirectMessageService's and ChatService's. */
export const directMessageRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { directs }) => {
  const common = { onRequest: app.authenticate };
  const perUser = (name: string, max: number, message: string) =>
    budget(app, { max, timeWindowMs: 60_000, key: (request) => `${name}|${actorOf(request).id}`, message });
  const searchBudget = perUser('user-search', USER_SEARCH_PER_MINUTE, 'searching users too fast; slow down');
  const openBudget = perUser('dm-open', DM_OPEN_PER_MINUTE, 'opening direct conversations too fast; slow down');
  const blockBudget = perUser('block', BLOCK_CHANGES_PER_MINUTE, 'blocking and unblocking too fast; slow down');

  app.post(
    '/api/dms',
    {
      ...common,
      preHandler: openBudget,
      schema: {
        tags: ['rooms'],
        security: bearerAuth,
        summary:
          'THE direct room of the caller and userId (the same room every time; created on first use, private, exactly these two members). 400: yourself; 404: unknown user; 403: you cannot message this user.',
        body: OpenDmBody,
        response: { 200: Room, ...errorResponses(400, 401, 403, 404, 413, 429) },
      },
    },
    async (request) => directs.open(actorOf(request), request.body.userId),
  );

  app.get(
    '/api/users',
    {
      ...common,
      preHandler: searchBudget,
      schema: {
        tags: ['users'],
        security: bearerAuth,
        summary: `Users whose username starts with q (case-insensitive), at most ${USER_SEARCH_MAX_RESULTS}: id and username only`,
        querystring: UserSearchQuery,
        response: { 200: UserList, ...errorResponses(400, 401, 429) },
      },
    },
    async (request) => ({ users: await directs.search(actorOf(request), request.query.q, request.query.limit ?? USER_SEARCH_MAX_RESULTS) }),
  );

  app.get(
    '/api/me/blocks',
    {
      ...common,
      schema: { tags: ['users'], security: bearerAuth, summary: `The users the caller blocks (at most ${MAX_BLOCKS_PER_USER})`, response: { 200: UserList, ...errorResponses(401) } },
    },
    async (request) => ({ users: await directs.listBlocks(actorOf(request)) }),
  );

  app.put(
    '/api/me/blocks/:userId',
    {
      ...common,
      preHandler: blockBudget,
      schema: {
        tags: ['users'],
        security: bearerAuth,
        summary: `Block a user (idempotent): they cannot open or write into a direct conversation with the caller. At most ${MAX_BLOCKS_PER_USER} (409).`,
        params: UserIdParams,
        response: { 204: Type.Null({ description: 'blocked' }), ...errorResponses(400, 401, 404, 409, 429) },
      },
    },
    async (request, reply) => {
      await directs.block(actorOf(request), request.params.userId);
      return reply.status(204).send(null);
    },
  );

  app.delete(
    '/api/me/blocks/:userId',
    {
      ...common,
      preHandler: blockBudget,
      schema: {
        tags: ['users'],
        security: bearerAuth,
        summary: 'Unblock a user (idempotent)',
        params: UserIdParams,
        response: { 204: Type.Null({ description: 'not blocked' }), ...errorResponses(400, 401, 404, 429) },
      },
    },
    async (request, reply) => {
      await directs.unblock(actorOf(request), request.params.userId);
      return reply.status(204).send(null);
    },
  );
};
