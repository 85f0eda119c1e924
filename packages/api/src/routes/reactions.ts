import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { RouteDeps } from '../deps.js';
import { actorOf } from '../plugins/authenticate.js';
import { budget } from '../plugins/budget.js';
import { sendRateLimitFor } from '../plugins/user-rate-limit.js';
import { bearerAuth, errorResponses, Reaction, Uuid } from '../schemas.js';

const ReactionParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'room id' }),
  messageId: Type.String({ format: 'uuid', description: 'message id' }),
  // Checked by ChatService (one emoji grapheme, at most 32 bytes); the bound here only keeps junk short.
  emoji: Type.String({ minLength: 1, maxLength: 64, description: 'one emoji, URL-encoded' }),
});

const ReactionsAnswer = Type.Object({ messageId: Uuid, reactions: Type.Array(Reaction) });
/** Settings changes per user per minute (each is a write to the user's row; docs/hardening.md). */
export const SETTINGS_CHANGES_PER_MINUTE = 30;

const Settings = Type.Object({ notifyMentionsWhenMuted: Type.Boolean({ description: 'a mention notifies even in a muted room (default true)' }) });

/** Reactions on messages and the caller's settings (docs/conversations.md). */
export const reactionRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { chat, config }) => {
  // Reactions are room events: they pay from the caller's send budget (the key messages use).
  const sendRateLimit = sendRateLimitFor(config.limits);
  const route = { onRequest: app.authenticate, config: { rateLimit: sendRateLimit } };
  const schema = { tags: ['messages'], security: bearerAuth, params: ReactionParams, response: { 200: ReactionsAnswer, ...errorResponses(400, 401, 403, 404, 409, 429) } };

  app.put(
    '/api/rooms/:id/messages/:messageId/reactions/:emoji',
    { ...route, schema: { ...schema, summary: 'React to a message with one emoji (idempotent); answers its reactions' } },
    async (request) => chat.react(actorOf(request), request.params.id, request.params.messageId, request.params.emoji, false, 'http'),
  );

  app.delete(
    '/api/rooms/:id/messages/:messageId/reactions/:emoji',
    { ...route, schema: { ...schema, summary: 'Take back a reaction of yours (idempotent); answers the reactions' } },
    async (request) => chat.react(actorOf(request), request.params.id, request.params.messageId, request.params.emoji, true, 'http'),
  );

  app.get(
    '/api/me/settings',
    { onRequest: app.authenticate, schema: { tags: ['push'], security: bearerAuth, summary: "The caller's settings", response: { 200: Settings, ...errorResponses(401) } } },
    async (request) => chat.getSettings(actorOf(request)),
  );

  const settingsBudget = budget(app, {
    max: SETTINGS_CHANGES_PER_MINUTE,
    timeWindowMs: 60_000,
    key: (request) => `settings|${actorOf(request).id}`,
    message: 'changing settings too fast; slow down',
  });
  app.patch(
    '/api/me/settings',
    {
      onRequest: app.authenticate,
      preHandler: settingsBudget,
      schema: {
        tags: ['push'],
        security: bearerAuth,
        summary: "Change the caller's settings",
        body: Type.Object({ notifyMentionsWhenMuted: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        response: { 200: Settings, ...errorResponses(400, 401, 429) },
      },
    },
    async (request) => chat.updateSettings(actorOf(request), request.body),
  );
};
