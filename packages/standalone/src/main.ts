import { ConfigError, exitOnStartupError, onShutdownSignal } from '@chorus/core';
import { startChorus } from './start.js';

/** `pnpm start`: the whole platform in one process. */
let running;
try {
  running = await startChorus();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`chorus: invalid configuration: ${err.message}\n`);
    process.exit(78);
  }
  exitOnStartupError(err);
}
const chorus = running;
onShutdownSignal(() => chorus.drain());
