import type { Logger } from '../observability/logger.js';

/**
 * Runs `shutdown` once on the first SIGTERM or SIGINT (later signals are ignored while it
 * runs), then exits: 0 when it resolved, 1 when it threw.
 */
export function onShutdownSignal(shutdown: (signal: NodeJS.Signals) => Promise<void>, logger?: Logger): void {
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      shutdown(signal).then(
        () => process.exit(0),
        (err: unknown) => {
          logger?.error({ err, signal }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}
