import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { checkObjectKey, checkRange, type ByteRange, type ObjectRead, type ObjectStore, type PresignOptions, type StoredObject } from './object-store.js';

export interface S3ObjectStoreOptions {
  bucket: string;
  /** For S3-compatible services (MinIO, Ceph RGW, R2…); unset for AWS S3. */
  endpoint?: string | undefined;
  region: string;
  /** `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key` (MinIO, s3rver). */
  forcePathStyle: boolean;
  /** Explicit credentials (tests); otherwise the SDK's default chain: AWS_* variables, web identity, instance role. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Multipart part size; an upload holds at most `queueSize` parts in memory. */
  partSizeBytes?: number;
}

/** 5 MiB is S3's smallest part; two parts in flight bound an upload's memory to ~10 MiB. */
const PART_SIZE = 5 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;

/**
 * Objects in an S3-compatible bucket through the official AWS SDK. Uploads are
 * streamed with multipart (lib-storage): an object becomes visible only when the
 * upload completes, and a failed upload is aborted, which S3 makes atomic for us.
 */
export class S3ObjectStore implements ObjectStore {
  readonly description: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #partSize: number;

  constructor(options: S3ObjectStoreOptions) {
    const config: S3ClientConfig = { region: options.region, forcePathStyle: options.forcePathStyle };
    if (options.endpoint) config.endpoint = options.endpoint;
    if (options.credentials) config.credentials = options.credentials;
    this.#client = new S3Client(config);
    this.#bucket = options.bucket;
    this.#partSize = Math.max(PART_SIZE, options.partSizeBytes ?? PART_SIZE);
    this.description = `S3 bucket ${options.bucket}${options.endpoint ? ` at ${options.endpoint}` : ''}`;
  }

  async ping(): Promise<void> {
    await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
  }

  async put(key: string, body: Readable, options: { contentType: string }): Promise<{ size: number }> {
    checkObjectKey(key);
    let size = 0;
    // Counts what goes through; pipeline passes a failing body's error on, which ends the upload.
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        done(null, chunk);
      },
    });
    let bodyError: unknown;
    const upload = new Upload({
      client: this.#client,
      params: { Bucket: this.#bucket, Key: key, Body: counted, ContentType: options.contentType },
      partSize: this.#partSize,
      queueSize: PARTS_IN_FLIGHT,
      // A failed multipart upload is aborted, so no parts are left billed in the bucket.
      leavePartsOnError: false,
    });
    const piping = pipeline(body, counted).catch((err: unknown) => {
      bodyError = err;
      void upload.abort().catch(() => undefined);
    });
    try {
      await upload.done();
    } catch (err) {
      // An S3 failure leaves the body unread: end the pipeline so nothing waits on it.
      counted.destroy(err as Error);
      await piping;
      throw bodyError ?? err;
    }
    await piping;
    if (bodyError) {
      // The upload finished before the error surfaced: the object must not stay.
      await this.delete(key).catch(() => undefined);
      throw bodyError;
    }
    return { size };
  }

  async get(key: string, range?: ByteRange): Promise<ObjectRead | null> {
    checkObjectKey(key);
    if (range) {
      const head = await this.head(key);
      if (!head) return null;
      checkRange(range, head.size);
    }
    try {
      const out = await this.#client.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
      );
      const body = out.Body as Readable;
      const contentLength = Number(out.ContentLength ?? 0);
      const size = range ? totalFromContentRange(out.ContentRange) ?? contentLength : contentLength;
      return { body, size, contentLength };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async head(key: string): Promise<{ size: number; lastModified: Date } | null> {
    checkObjectKey(key);
    try {
      const out = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return { size: Number(out.ContentLength ?? 0), lastModified: out.LastModified ?? new Date(0) };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    checkObjectKey(key);
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    for await (const page of paginateListObjectsV2({ client: this.#client }, { Bucket: this.#bucket, Prefix: prefix })) {
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield { key: object.Key, size: Number(object.Size ?? 0), lastModified: object.LastModified ?? new Date(0) };
      }
    }
  }

  async presignGet(key: string, options: PresignOptions): Promise<string | null> {
    checkObjectKey(key);
    const command = new GetObjectCommand({
      Bucket: this.#bucket,
      Key: key,
      ResponseContentType: options.contentType,
      ResponseContentDisposition: options.contentDisposition,
    });
    return getSignedUrl(this.#client, command, { expiresIn: options.expiresInSeconds });
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

function totalFromContentRange(header: string | undefined): number | undefined {
  const match = header ? /\/(\d+)$/.exec(header) : null;
  return match ? Number(match[1]) : undefined;
}
