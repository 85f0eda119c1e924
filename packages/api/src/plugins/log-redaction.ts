import { redactUrl } from '@chorus/core';
import type { FastifyRequest } from 'fastify';

export { redactUrl };

/** fastify's request log fields, with credentials in the URL (device tokens, ?access_token=) redacted. */
export function requestLogSerializer(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
