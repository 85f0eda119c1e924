import type { FastifyInstance } from 'fastify';

/**
 * Accepts `content-type: application/json` with an empty body as "no body". Many HTTP
 * clients set that header on every request, including body-less POSTs such as
 * `/api/rooms/:id/join`; fastify's own parser answers them 400. A route that needs a body
 * still refuses the missing one through its schema (a validation error, not a parse error).
 * Call inside the API's scope: it replaces the JSON parser of that scope only.
 */
export function acceptEmptyJsonBody(api: FastifyInstance): void {
  const parseJson = api.getDefaultJsonParser('error', 'error');
  api.removeContentTypeParser('application/json');
  api.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string; // parseAs: 'string'
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, text, done);
  });
}
