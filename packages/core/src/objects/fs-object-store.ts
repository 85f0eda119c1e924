import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkObjectKey, checkRange, type ByteRange, type ObjectRead, type ObjectStore, type StoredObject } from './object-store.js';

/** Temporaries live here while being written; never listed. */
const TMP_DIR = '.tmp';

/**
 * Objects as files under a directory (DATA_DIR/objects by default): the embedded
 * twin, so a single process needs nothing else. Writes go to a temporary file in the
 * same directory tree, are fsynced, then renamed over the key (atomic on POSIX).
 */
export class FsObjectStore implements ObjectStore {
  readonly description: string;
  readonly #root: string;

  constructor(root: string) {
    this.#root = path.resolve(root);
    this.description = `files under ${this.#root}`;
  }

  /** Creates the directory and removes temporaries a crash may have left. */
  async open(): Promise<this> {
    await rm(path.join(this.#root, TMP_DIR), { recursive: true, force: true });
    await mkdir(path.join(this.#root, TMP_DIR), { recursive: true });
    return this;
  }

  #path(key: string): string {
    return path.join(this.#root, ...checkObjectKey(key).split('/'));
  }

  async ping(): Promise<void> {
    await stat(path.join(this.#root, TMP_DIR));
  }

  async put(key: string, body: Readable, _options: { contentType: string }): Promise<{ size: number }> {
    const target = this.#path(key);
    const tmp = path.join(this.#root, TMP_DIR, randomUUID());
    try {
      await pipeline(body, createWriteStream(tmp, { flags: 'wx' }));
      const handle = await open(tmp, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await mkdir(path.dirname(target), { recursive: true });
      await rename(tmp, target);
      return { size: (await stat(target)).size };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async get(key: string, range?: ByteRange): Promise<ObjectRead | null> {
    const file = this.#path(key);
    const info = await statOrNull(file);
    if (!info) return null;
    if (range) checkRange(range, info.size);
    const body = createReadStream(file, range ? { start: range.start, end: range.end } : {});
    return { body, size: info.size, contentLength: range ? range.end - range.start + 1 : info.size };
  }

  async head(key: string): Promise<{ size: number; lastModified: Date } | null> {
    const info = await statOrNull(this.#path(key));
    return info ? { size: info.size, lastModified: info.mtime } : null;
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }

  /** Walks one directory at a time (memory bounded by the widest directory, not the whole tree). */
  async *list(prefix: string): AsyncIterable<StoredObject> {
    const walk = async function* (root: string, dir: string): AsyncGenerator<StoredObject> {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        const key = path.relative(root, full).split(path.sep).join('/');
        if (key === TMP_DIR) continue;
        // Only descend where keys with the prefix can be.
        if (entry.isDirectory()) {
          if (prefix.startsWith(`${key}/`) || key.startsWith(prefix)) yield* walk(root, full);
        } else if (entry.isFile() && key.startsWith(prefix)) {
          const info = await statOrNull(full);
          if (info) yield { key, size: info.size, lastModified: info.mtime };
        }
      }
    };
    yield* walk(this.#root, this.#root);
  }

  async presignGet(): Promise<string | null> {
    return null;
  }

  async close(): Promise<void> {}
}

async function statOrNull(file: string) {
  try {
    const info = await stat(file);
    return info.isFile() ? info : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw err;
  }
}
