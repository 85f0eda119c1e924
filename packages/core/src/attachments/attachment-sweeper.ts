import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { ObjectStore } from '../objects/object-store.js';
import type { Store } from '../store/store.js';
import { ATTACHMENTS_PREFIX, attachmentIdOfKey } from './keys.js';

const BATCH = 500;

export interface AttachmentSweepDeps {
  store: Pick<Store, 'deleteUnsentAttachments' | 'existingAttachmentIds'>;
  objects: ObjectStore;
  /** ATTACHMENT_UNATTACHED_TTL_SECONDS. */
  ttlSeconds: number;
  logger: Logger;
  metrics?: Pick<Metrics, 'objectStoreErrors'>;
}

/**
 * One sweep: (1) uploads never sent and older than the TTL lose their row, then their
 * objects; (2) objects older than the TTL whose attachment has no row are deleted. The
 * second step is what makes failures safe: an upload writes its bytes before its row, so
 * a crash in between, a failed object delete in step 1, or a room deleted with its rows
 * (ON DELETE CASCADE) leaves only objects without a row, and those go here.
 */
export async function sweepAttachmentsOnce(deps: AttachmentSweepDeps, now = new Date()): Promise<{ unsent: number; orphans: number }> {
  const cutoff = new Date(now.getTime() - deps.ttlSeconds * 1000);
  const remove = async (key: string) => {
    try {
      await deps.objects.delete(key);
      return true;
    } catch (err) {
      deps.metrics?.objectStoreErrors.inc({ op: 'delete' });
      deps.logger.warn({ err, key }, 'attachment object delete failed; the orphan sweep retries');
      return false;
    }
  };

  let unsent = 0;
  for (;;) {
    const rows = await deps.store.deleteUnsentAttachments(cutoff, BATCH);
    unsent += rows.length;
    for (const row of rows) {
      await remove(row.objectKey);
      if (row.thumbnailKey) await remove(row.thumbnailKey);
    }
    if (rows.length < BATCH) break;
  }

  let orphans = 0;
  let candidates: Array<{ key: string; id: string }> = [];
  const flush = async () => {
    const existing = await deps.store.existingAttachmentIds(candidates.map((c) => c.id));
    for (const c of candidates) if (!existing.has(c.id) && (await remove(c.key))) orphans++;
    candidates = [];
  };
  for await (const object of deps.objects.list(ATTACHMENTS_PREFIX)) {
    const id = attachmentIdOfKey(object.key);
    if (id === null || object.lastModified >= cutoff) continue;
    candidates.push({ key: object.key, id });
    if (candidates.length >= BATCH) await flush();
  }
  if (candidates.length > 0) await flush();
  return { unsent, orphans };
}

/**
 * Runs the sweep every `everyMs` (default: a tenth of the TTL, at most hourly) until `signal`
 * aborts. A singleton duty: run only by the holder of the `chorus-singletons` Lease.
 */
export async function sweepAttachments(deps: AttachmentSweepDeps & { signal: AbortSignal; everyMs?: number }): Promise<void> {
  const everyMs = deps.everyMs ?? Math.min(3_600_000, Math.max(10_000, (deps.ttlSeconds * 1000) / 10));
  while (!deps.signal.aborted) {
    try {
      const swept = await sweepAttachmentsOnce(deps);
      if (swept.unsent + swept.orphans > 0) deps.logger.info(swept, 'swept unsent uploads and orphan attachment objects');
    } catch (err) {
      deps.logger.warn({ err }, 'attachment sweep failed; retrying next round');
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, everyMs);
      timer.unref();
      deps.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }
}
