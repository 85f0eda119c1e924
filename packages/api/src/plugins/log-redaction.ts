import type { FastifyRequest } from 'fastify';

/** URL path segments that are credentials: push device tokens (`DELETE /api/devices/:token`). */
const SECRET_SEGMENTS = /^(\/api\/devices\/)[^/?#]+/;

/** The URL as logged: secret path segments replaced, the rest (and the query) kept. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_SEGMENTS, '$1[redacted]');
}

/** fastify's request log fields, with the URL redacted. */
export function requestLogSerializer(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
