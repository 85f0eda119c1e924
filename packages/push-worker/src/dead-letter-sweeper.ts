import type { Logger, PushQueue } from '@chorus/core';

const DAY_MS = 86_400_000;

/**
 * Deletes dead letters older than the retention period, hourly. A singleton
 * duty: run only by the holder of the `chorus-singletons` Lease, and stopped
 * through `signal` when leadership is lost.
 */
export async function sweepDeadLetters(
  queue: PushQueue,
  options: { retentionDays: number; logger: Logger; signal: AbortSignal; everyMs?: number },
): Promise<void> {
  if (options.retentionDays <= 0) return;
  const everyMs = options.everyMs ?? 3_600_000;
  while (!options.signal.aborted) {
    try {
      const purged = await queue.purgeDeadLetters(new Date(Date.now() - options.retentionDays * DAY_MS));
      if (purged > 0) options.logger.info({ purged, retentionDays: options.retentionDays }, 'purged old push dead letters');
    } catch (err) {
      options.logger.warn({ err }, 'dead-letter sweep failed; retrying next round');
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, everyMs);
      timer.unref();
      options.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }
}
