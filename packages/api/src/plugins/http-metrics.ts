import type { Metrics } from '@chorus/core';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** Records `chorus_http_request_duration_seconds{method,route,status}`; route is the pattern, never the raw URL. */
async function httpMetricsPlugin(app: FastifyInstance, options: { metrics: Metrics }): Promise<void> {
  app.addHook('onResponse', async (request, reply) => {
    options.metrics.httpRequests.observe(
      { method: request.method, route: request.routeOptions.url ?? '(unmatched)', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
}

export default fp(httpMetricsPlugin, { name: 'chorus-http-metrics', fastify: '5.x' });
