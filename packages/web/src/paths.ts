import { fileURLToPath } from 'node:url';

/**
 * Absolute path of the built browser client (`vite build` output), which the
 * api serves at `/`. The same relative path holds from `src/` and `dist-node/`.
 */
export const webRoot: string = fileURLToPath(new URL('../dist/', import.meta.url));
