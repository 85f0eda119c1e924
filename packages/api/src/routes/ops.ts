import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { RouteDeps } from '../deps.js';
import { ErrorBody } from '../schemas.js';

const ReadyBody = Type.Object({
  ready: Type.Boolean(),
  reasons: Type.Array(Type.String()),
});

/** Probes and scrapes arrive every few seconds: log them only when they fail. */
const PROBE_LOG_LEVEL = 'warn';

/** Probes and metrics; no authentication (keep them off public ingress paths if needed). */
export const opsRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { readiness, metrics }) => {
  app.get(
    '/healthz',
    { logLevel: PROBE_LOG_LEVEL, schema: { tags: ['ops'], summary: 'Liveness: the process is running', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      logLevel: PROBE_LOG_LEVEL,
      schema: {
        tags: ['ops'],
        summary: 'Readiness: 503 while starting, draining or when a dependency is down',
        response: { 200: ReadyBody, 503: Type.Composite([ReadyBody, ErrorBody], { description: 'not ready' }) },
      },
    },
    async (_request, reply) => {
      const { ready, reasons } = readiness();
      if (ready) return reply.status(200).send({ ready, reasons });
      return reply.status(503).send({ ready, reasons, error: { code: 'unavailable', message: `not ready: ${reasons.join('; ') || 'unknown'}` } });
    },
  );

  app.get(
    '/metrics',
    {
      logLevel: PROBE_LOG_LEVEL,
      schema: {
        tags: ['ops'],
        summary: 'Prometheus metrics',
        produces: ['text/plain'],
        response: { 200: Type.String({ description: 'Prometheus text exposition format' }) },
      },
    },
    async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
};
