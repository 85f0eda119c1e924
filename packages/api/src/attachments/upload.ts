import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  attachmentKey,
  badRequest,
  ChorusError,
  payloadTooLarge,
  thumbnailKey,
  unsupportedMediaType,
  type Actor,
  type AttachmentInfo,
  type Logger,
  type Metrics,
  type ObjectStore,
  type Store,
} from '@chorus/core';
import { detectContentType, isAllowedType } from './content-type.js';
import { processImage } from './images.js';
import { sanitizeFileName } from './names.js';

export interface UploadDeps {
  store: Pick<Store, 'createAttachment'>;
  objects: ObjectStore;
  metrics: Metrics;
  logger: Logger;
  maxBytes: number;
  allowedTypes: readonly string[];
}

/** Counts bytes through and fails with 413 the moment they exceed `max`. */
class SizeLimit extends Transform {
  bytes = 0;
  constructor(private readonly max: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) done(payloadTooLarge(`file is larger than ${this.max} bytes (MAX_ATTACHMENT_BYTES)`));
    else done(null, chunk);
  }
}

/**
 * Stores one upload: the body is streamed to a temporary file (bounded memory, size checked
 * as bytes arrive), its type detected from the bytes, images get dimensions, a thumbnail and
 * their EXIF removed, then the bytes go to the object store and only then the row is written.
 * Whatever fails, the temporary directory is removed and, if the row was not written, the
 * objects too (the orphan sweep catches a crash in between).
 */
export async function storeUpload(
  deps: UploadDeps,
  actor: Actor,
  roomId: string,
  upload: { body: Readable; name: unknown },
): Promise<AttachmentInfo> {
  const started = process.hrtime.bigint();
  const id = randomUUID();
  const name = sanitizeFileName(upload.name);
  const dir = await mkdtemp(path.join(tmpdir(), 'chorus-upload-'));
  const written: string[] = [];
  try {
    const spool = path.join(dir, 'body');
    const limit = new SizeLimit(deps.maxBytes);
    try {
      await pipeline(upload.body, limit, createWriteStream(spool));
    } catch (err) {
      if (err instanceof ChorusError) throw err;
      throw badRequest('the upload ended before the file was complete');
    }
    if ((upload.body as { truncated?: boolean }).truncated) throw payloadTooLarge(`file is larger than ${deps.maxBytes} bytes (MAX_ATTACHMENT_BYTES)`);

    const contentType = await detectContentType(spool);
    if (!isAllowedType(contentType, deps.allowedTypes)) throw unsupportedMediaType(`files of type ${contentType} are not allowed here`);

    let image;
    try {
      image = await processImage(spool, contentType, path.join(dir, 'stripped'));
    } catch {
      throw badRequest('the image could not be processed (its metadata cannot be removed)');
    }
    const source = image?.strippedFile ?? spool;
    const size = (await stat(source)).size;

    const key = attachmentKey(roomId, id);
    const thumbKey = image ? thumbnailKey(roomId, id) : null;
    try {
      written.push(key);
      await deps.objects.put(key, createReadStream(source), { contentType });
      if (image && thumbKey) {
        written.push(thumbKey);
        await deps.objects.put(thumbKey, Readable.from([image.thumbnail]), { contentType: 'image/webp' });
      }
    } catch (err) {
      deps.metrics.objectStoreErrors.inc({ op: 'put' });
      throw new ChorusError('unavailable', 'file storage is unavailable; try again', { cause: err });
    }
    const stored = await deps.store.createAttachment({
      id,
      roomId,
      uploaderId: actor.id,
      name,
      contentType,
      size,
      width: image?.width ?? null,
      height: image?.height ?? null,
      objectKey: key,
      thumbnailKey: thumbKey,
    });
    written.length = 0;
    deps.metrics.attachmentsUploaded.inc();
    deps.metrics.attachmentBytes.inc(size);
    deps.metrics.attachmentUploadLatency.observe(Number(process.hrtime.bigint() - started) / 1e9);
    const { roomId: _r, uploaderId: _u, objectKey: _o, thumbnailKey: _t, messageId: _m, createdAt: _c, ...info } = stored;
    return info;
  } finally {
    for (const key of written) {
      await deps.objects.delete(key).catch((err: unknown) => {
        deps.metrics.objectStoreErrors.inc({ op: 'delete' });
        deps.logger.warn({ err, key }, 'could not remove the bytes of a failed upload; the orphan sweep will');
      });
    }
    await rm(dir, { recursive: true, force: true });
  }
}
