import type { Readable } from 'node:stream';
import { badRequest, notFound, payloadTooLarge, unavailable, type StoredAttachment } from '@chorus/core';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isInlineSafe } from '../attachments/content-type.js';
import { contentDisposition } from '../attachments/names.js';
import { parseRange } from '../attachments/ranges.js';
import { storeUpload } from '../attachments/upload.js';
import type { RouteDeps } from '../deps.js';
import { actorOf } from '../plugins/authenticate.js';
import { userRateLimit } from '../plugins/user-rate-limit.js';
import { Attachment, bearerAuth, errorResponses, RoomIdParams } from '../schemas.js';

/** Room for the multipart envelope (boundaries, part headers) on top of the file itself. */
const MULTIPART_OVERHEAD = 64 * 1024;

/**
 * Files are data, never pages of this origin: no script, no plugins, no framing, in a
 * sandbox even if a browser were to render one.
 */
const FILE_CSP = "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; sandbox";

const AttachmentParams = Type.Object({ id: Type.String({ format: 'uuid', description: 'attachment id' }) });
const UploadQuery = Type.Object({ name: Type.Optional(Type.String({ maxLength: 1024, description: 'file name (raw uploads)' })) });

/**
 * File transfer (docs/attachments.md): uploads to a room, downloads for its members.
 * An encapsulated plugin: its content-type parsers (multipart, and any other type as a raw
 * stream) apply to these routes only.
 */
export const attachmentRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, deps) => {
  const { chat, config, attachments, metrics, logger } = deps;
  const limits = config.attachments;

  // Raw uploads: the body stays a stream, read (and size-checked) by the handler.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  await app.register(multipart, {
    limits: {
      // One more than allowed, so that the handler's own count sees the excess and answers 413.
      fileSize: limits.maxBytes + 1,
      files: 1,
      fields: 5,
      fieldSize: 1024,
      parts: 10,
      headerPairs: 20,
      fieldNameSize: 100,
    },
    throwFileSizeLimit: false,
  });

  const uploadRateLimit = userRateLimit({
    key: 'upload',
    burst: limits.uploadBurst,
    windowMs: Math.ceil((limits.uploadBurst / limits.uploadsPerMinute) * 60_000),
    message: 'uploading too fast; slow down',
  });

  const objectsOrThrow = () => {
    if (!deps.objects) throw unavailable('file storage is not configured');
    return deps.objects;
  };

  app.post(
    '/api/rooms/:id/attachments',
    {
      onRequest: app.authenticate,
      config: { rateLimit: uploadRateLimit },
      schema: {
        tags: ['attachments'],
        summary: 'Upload a file to a room (members only); send it with a message by its id',
        description:
          'Either `multipart/form-data` with the file in the part named `file`, or the raw bytes as the body with `?name=`. ' +
          `At most MAX_ATTACHMENT_BYTES (${limits.maxBytes}) bytes, refused with 413 while streaming. The content type is detected from the bytes.`,
        security: bearerAuth,
        params: RoomIdParams,
        querystring: UploadQuery,
        response: { 201: Attachment, ...errorResponses(400, 401, 403, 404, 413, 429, 503) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      await chat.requireMember(actor, request.params.id);
      const objects = objectsOrThrow();
      const declared = Number(request.headers['content-length']);
      const isMultipart = request.isMultipart();
      if (Number.isFinite(declared) && declared > limits.maxBytes + (isMultipart ? MULTIPART_OVERHEAD : 0)) {
        void reply.header('connection', 'close');
        throw payloadTooLarge(`file is larger than ${limits.maxBytes} bytes (MAX_ATTACHMENT_BYTES)`);
      }
      let upload: { body: Readable; name: unknown };
      if (isMultipart) {
        let part;
        try {
          part = await request.file();
        } catch (err) {
          // busboy's own errors (no boundary, malformed envelope) carry no status: the body is at fault.
          if ((err as { statusCode?: number }).statusCode === undefined) throw badRequest(`malformed multipart body: ${(err as Error).message}`);
          throw err;
        }
        if (!part) throw badRequestNoFile();
        if (part.fieldname !== 'file') throw badRequestNoFile();
        upload = { body: part.file, name: part.filename };
      } else {
        const body = request.body as Readable | undefined;
        if (!body || typeof (body as Readable).pipe !== 'function') throw badRequestNoFile();
        upload = { body, name: request.query.name };
      }
      try {
        const attachment = await storeUpload(
          { store: attachments, objects, metrics, logger, maxBytes: limits.maxBytes, allowedTypes: limits.allowedTypes },
          actor,
          request.params.id,
          upload,
        );
        return reply.status(201).send(attachment);
      } catch (err) {
        // The rest of a refused body is not worth reading: close the connection after the answer.
        if (!request.raw.complete) void reply.header('connection', 'close');
        throw err;
      }
    },
  );

  const download = (variant: 'file' | 'thumbnail') => async (request: FastifyRequest, reply: FastifyReply) => {
    const actor = actorOf(request);
    const { id } = request.params as { id: string };
    const attachment = await attachments.readableBy(id, actor);
    const key = variant === 'file' ? attachment.objectKey : attachment.thumbnailKey;
    if (!key) throw notFound('attachment has no thumbnail');
    return serve(request, reply, attachment, key, variant);
  };

  async function serve(request: FastifyRequest, reply: FastifyReply, attachment: StoredAttachment, key: string, variant: 'file' | 'thumbnail') {
    const objects = objectsOrThrow();
    const contentType = variant === 'file' ? attachment.contentType : 'image/webp';
    const inline = isInlineSafe(contentType);
    const disposition = contentDisposition(inline ? 'inline' : 'attachment', variant === 'file' ? attachment.name : `thumbnail-${attachment.name}.webp`);
    const etag = `"${attachment.id}${variant === 'thumbnail' ? '-t' : ''}"`;
    void reply
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', FILE_CSP)
      .header('cross-origin-resource-policy', 'same-origin')
      .header('content-disposition', disposition)
      .header('etag', etag)
      // Content under an id never changes; only members may read it.
      .header('cache-control', 'private, max-age=86400')
      .header('accept-ranges', 'bytes');
    if (request.headers['if-none-match'] === etag) return reply.status(304).send();

    // Object stores that cannot presign (files) answer null: then the bytes are streamed.
    if (limits.presignedDownloads) {
      const url = await objects.presignGet(key, { expiresInSeconds: limits.presignTtlSeconds, contentType, contentDisposition: disposition });
      if (url) return reply.header('cache-control', 'no-store').redirect(url, 302);
    }

    const head = await countErrors(() => objects.head(key), 'head');
    if (!head) throw notFound('attachment bytes are missing');
    const ifRange = request.headers['if-range'];
    const range = ifRange !== undefined && ifRange !== etag ? 'none' : parseRange(request.headers.range, head.size);
    if (range === 'unsatisfiable') {
      return reply.status(416).header('content-range', `bytes */${head.size}`).send({ error: { code: 'range_not_satisfiable', message: `range not satisfiable for ${head.size} bytes` } });
    }
    const read = await countErrors(() => objects.get(key, range === 'none' ? undefined : range), 'get');
    if (!read) throw notFound('attachment bytes are missing');
    void reply.type(contentType).header('content-length', String(read.contentLength));
    if (range !== 'none') void reply.status(206).header('content-range', `bytes ${range.start}-${range.end}/${read.size}`);
    return reply.send(read.body);
  }

  async function countErrors<T>(fn: () => Promise<T>, op: string): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      metrics.objectStoreErrors.inc({ op });
      throw unavailable('file storage is unavailable; try again', err);
    }
  }

  const downloadSchema = (summary: string) => ({
    onRequest: app.authenticate,
    schema: {
      tags: ['attachments'],
      summary,
      description:
        'Streamed with Content-Length, single-range requests (206/416), ETag and `X-Content-Type-Options: nosniff`; anything a browser could execute is served as a download, under a sandboxing CSP. Others than members of the room get 404.',
      security: bearerAuth,
      params: AttachmentParams,
      produces: ['application/octet-stream'],
      response: { ...errorResponses(401, 404, 503) },
    },
  });
  app.get('/api/attachments/:id', downloadSchema('Download an attachment (members of its room only)'), download('file'));
  app.get('/api/attachments/:id/thumbnail', downloadSchema('An image attachment\'s thumbnail (WebP, at most 320×320)'), download('thumbnail'));
};

function badRequestNoFile() {
  return Object.assign(new Error('send the file as the multipart part named "file", or as the raw body with ?name='), { statusCode: 400 });
}
