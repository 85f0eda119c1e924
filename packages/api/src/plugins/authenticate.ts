import { bearerToken, unauthorized, type Actor, type TokenService } from '@chorus/core';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, set by the `authenticate` hook on routes that opt into it. */
    actor: Actor | null;
  }
  interface FastifyInstance {
    /** onRequest hook: verifies `Authorization: Bearer <JWT>` and sets `request.actor`. */
    authenticate: onRequestAsyncHookHandler;
  }
}

/** The authenticated caller; only valid on routes that run the `authenticate` hook. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw unauthorized();
  return request.actor;
}

async function authenticatePlugin(app: FastifyInstance, options: { tokens: TokenService }): Promise<void> {
  app.decorateRequest('actor', null);
  app.decorate('authenticate', async (request: FastifyRequest) => {
    const token = bearerToken(request.headers.authorization);
    if (!token) throw unauthorized('missing bearer token');
    const claims = await options.tokens.verify(token);
    request.actor = { id: claims.userId, username: claims.username };
  });
}

export default fp(authenticatePlugin, { name: 'chorus-authenticate', fastify: '5.x' });
