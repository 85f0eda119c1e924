import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

/** Real processes, stopped and restarted by the tests: longer timeouts, one file at a time. */
export default mergeConfig(
  shared,
  defineConfig({
    test: {
      testTimeout: 90_000,
      hookTimeout: 120_000,
      fileParallelism: false,
    },
  }),
);
