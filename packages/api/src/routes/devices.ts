import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { RouteDeps } from '../deps.js';
import { actorOf } from '../plugins/authenticate.js';
import { bearerAuth, errorResponses, Uuid } from '../schemas.js';

const Platform = Type.Union([Type.Literal('android'), Type.Literal('ios'), Type.Literal('web')]);
const DeviceToken = Type.String({ minLength: 1, maxLength: 4096, pattern: '\\S', description: 'FCM registration token' });

const Device = Type.Object({
  token: Type.String(),
  userId: Uuid,
  platform: Platform,
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

const RegisterBody = Type.Object({ token: DeviceToken, platform: Platform }, { additionalProperties: false });

export const deviceRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { devices }) => {
  const common = { onRequest: app.authenticate };
  const schema = { tags: ['devices'], security: bearerAuth };

  app.post(
    '/api/devices',
    {
      ...common,
      schema: {
        ...schema,
        summary: 'Register a push device (idempotent; a token registered by another user moves to the caller)',
        body: RegisterBody,
        response: { 200: Device, ...errorResponses(400, 401, 413) },
      },
    },
    async (request) => devices.register(actorOf(request), request.body.token, request.body.platform),
  );

  app.delete(
    '/api/devices/:token',
    {
      ...common,
      schema: {
        ...schema,
        summary: "Unregister one of the caller's devices",
        params: Type.Object({ token: DeviceToken }),
        response: { 204: Type.Null({ description: 'deleted' }), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      await devices.unregister(actorOf(request), request.params.token);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/me/devices',
    {
      ...common,
      schema: { ...schema, summary: "The caller's devices", response: { 200: Type.Object({ devices: Type.Array(Device) }), ...errorResponses(401) } },
    },
    async (request) => ({ devices: await devices.list(actorOf(request)) }),
  );
};
