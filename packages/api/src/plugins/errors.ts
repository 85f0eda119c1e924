import { isChorusError } from '@chorus/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** The one error body of the API: `{"error":{"code","message"}}`. */
export interface HttpError {
  status: number;
  code: string;
  message: string;
  retryAfter?: number | undefined;
}

interface ValidationIssue {
  keyword: string;
  instancePath: string;
  message?: string | undefined;
  params: Record<string, unknown>;
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  411: 'length_required',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  431: 'headers_too_large',
  503: 'unavailable',
};

/** Names the offending field: `body.username must match pattern "..."`, `body.foo is not allowed`. */
export function describeValidation(context: string | undefined, issues: readonly ValidationIssue[]): string {
  const issue = issues[0];
  const where = context ?? 'request';
  if (!issue) return `${where} is invalid`;
  const path = issue.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  const field = (extra?: unknown) => [where, ...path, ...(typeof extra === 'string' ? [extra] : [])].join('.');
  switch (issue.keyword) {
    case 'required':
      return `${field(issue.params['missingProperty'])} is required`;
    case 'additionalProperties':
      return `${field(issue.params['additionalProperty'])} is not an allowed field`;
    default:
      return `${field()} ${issue.message ?? 'is invalid'}`;
  }
}

/** Maps any error thrown while handling a request to its HTTP status and public code/message. */
export function toHttpError(err: unknown, request: FastifyRequest): HttpError {
  if (isChorusError(err)) {
    return { status: err.status, code: err.code, message: err.message, retryAfter: err.retryAfter };
  }
  const e = err as Partial<FastifyError> & { validation?: ValidationIssue[] };
  if (Array.isArray(e.validation)) {
    // A path parameter that fails its schema (e.g. a non-uuid room id) names nothing that can exist.
    if (e.validationContext === 'params') return { status: 404, code: 'not_found', message: `${pathOf(request)} not found` };
    return { status: 400, code: 'validation_failed', message: describeValidation(e.validationContext, e.validation) };
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'payload_too_large', message: 'request body is too large' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, code: 'bad_request', message: 'request body is not valid JSON' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'bad_request', message: 'request body is empty but content-type is application/json' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'unsupported_media_type', message: 'unsupported content-type; send application/json' };
  }
  if (err instanceof SyntaxError && e.statusCode === 400) {
    return { status: 400, code: 'bad_request', message: 'request body is not valid JSON' };
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    // Fastify's own client errors carry safe, generic messages.
    return { status, code: CODE_BY_STATUS[status] ?? 'bad_request', message: e.message ?? 'bad request' };
  }
  if (status === 503) return { status, code: 'unavailable', message: 'service unavailable' };
  return { status: 500, code: 'internal', message: 'internal server error' };
}

/** The request path without its query, shortened so that error messages stay small. */
function pathOf(request: FastifyRequest): string {
  const path = request.url.split('?')[0] ?? '/';
  return path.length > 200 ? `${path.slice(0, 200)}...` : path;
}

export function sendHttpError(reply: FastifyReply, error: HttpError): FastifyReply {
  if (error.retryAfter !== undefined) void reply.header('retry-after', String(error.retryAfter));
  return reply.status(error.status).send({ error: { code: error.code, message: error.message } });
}

/** One error handler and one not-found handler, so every failure has the same shape. */
async function errorsPlugin(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((err, request, reply) => {
    const error = toHttpError(err, request);
    if (error.status >= 500) request.log.error({ err }, 'request failed');
    else request.log.info({ code: error.code, status: error.status }, error.message);
    return sendHttpError(reply, error);
  });

  app.setNotFoundHandler((request, reply) =>
    sendHttpError(reply, { status: 404, code: 'not_found', message: `route ${request.method} ${pathOf(request)} not found` }),
  );
}

export default fp(errorsPlugin, { name: 'chorus-errors', fastify: '5.x' });
