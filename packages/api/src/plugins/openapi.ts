import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** OpenAPI 3 document built from the route schemas, served at /docs (UI) and /docs/json. */
async function openapiPlugin(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Chorus REST API',
        description: 'Accounts, rooms, history, search and devices. Real-time messaging is STOMP over WebSocket.',
        version: '0.1.0',
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
      tags: [
        { name: 'auth', description: 'Sign up, log in, the current user' },
        { name: 'rooms', description: 'Rooms and membership' },
        { name: 'messages', description: 'History and sending' },
        { name: 'search', description: 'Full-text message search' },
        { name: 'devices', description: 'Push notification devices' },
        { name: 'ops', description: 'Health, readiness and metrics' },
        { name: 'users', description: 'Finding users to write to, and blocking them' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

export default fp(openapiPlugin, { name: 'chorus-openapi', fastify: '5.x' });
