import type { Readable } from 'node:stream';
import { badRequest } from '../errors.js';

/** What `ObjectStore.list` yields for each stored object. */
export interface StoredObject {
  key: string;
  size: number;
  lastModified: Date;
}

/** A (part of an) object being read. */
export interface ObjectRead {
  /** The requested bytes (all of them, or the range). Must be consumed or destroyed. */
  body: Readable;
  /** Size of the whole object. */
  size: number;
  /** Bytes in `body`: `size`, or the range's length. */
  contentLength: number;
}

/** Inclusive byte range, as in HTTP: `start <= end < size`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface PresignOptions {
  expiresInSeconds: number;
  contentType: string;
  /** The Content-Disposition the download must be served with. */
  contentDisposition: string;
}

/**
 * Where attachment bytes live. Two implementations: files under DATA_DIR
 * (embedded, `FsObjectStore`) and S3-compatible object storage (`S3ObjectStore`).
 * The database row is the record of an attachment; the object store only holds bytes.
 *
 * Contract:
 * - Keys match `KEY_PATTERN` (lower-case letters, digits, `-`, `_`, `.`, `/`; no empty,
 *   `.` or `..` segment; at most 512 characters). Anything else throws ChorusError('bad_request')
 *   before any I/O: a key can never name a path outside the store.
 * - `put` consumes `body` and resolves only once the whole object is durable and readable
 *   under `key`. It is atomic: a reader sees the old object, or none, or the whole new one,
 *   never a part. If `body` errors (aborted upload, size limit) `put` rejects with that error
 *   and leaves no object under `key` (a partial temporary may remain at most until the next
 *   start, never visible through `get`, `head` or `list`). Writing an existing key replaces it.
 * - `get` of a missing key resolves to null; with a range, `body` holds exactly those bytes.
 *   A range the object cannot satisfy throws ChorusError('bad_request').
 * - `delete` is idempotent: deleting a missing key resolves.
 * - `list(prefix)` yields every object whose key starts with `prefix`, each once, in no
 *   particular order; objects written or deleted while it runs may or may not appear.
 * - `presignGet` returns a URL a client can fetch the object from directly for a limited time,
 *   or null when the implementation cannot (the API then streams the bytes itself).
 * - `ping` resolves when the store can be read and written (readiness).
 * - Failures of the backing service reject with the backend's error; callers count them.
 */
export interface ObjectStore {
  /** Human-readable backend, for the start-up line. */
  readonly description: string;
  ping(): Promise<void>;
  put(key: string, body: Readable, options: { contentType: string }): Promise<{ size: number }>;
  get(key: string, range?: ByteRange): Promise<ObjectRead | null>;
  head(key: string): Promise<{ size: number; lastModified: Date } | null>;
  delete(key: string): Promise<void>;
  list(prefix: string): AsyncIterable<StoredObject>;
  presignGet(key: string, options: PresignOptions): Promise<string | null>;
  close(): Promise<void>;
}

export const KEY_PATTERN = /^[a-z0-9_.-]+(\/[a-z0-9_.-]+)*$/;

/** Throws bad_request unless `key` is a safe object key (see the ObjectStore contract). */
export function checkObjectKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 512 || !KEY_PATTERN.test(key)) {
    throw badRequest('invalid object key');
  }
  if (key.split('/').some((segment) => segment === '.' || segment === '..')) throw badRequest('invalid object key');
  return key;
}

/** Throws bad_request unless the range fits an object of `size` bytes. */
export function checkRange(range: ByteRange, size: number): void {
  if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end) || range.start < 0 || range.end < range.start || range.end >= size) {
    throw badRequest(`range ${range.start}-${range.end} not satisfiable for ${size} bytes`);
  }
}
