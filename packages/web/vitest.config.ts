import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

/** The e2e test builds the client and drives chromium: longer timeouts. */
export default mergeConfig(
  shared,
  defineConfig({
    test: {
      testTimeout: 60_000,
      hookTimeout: 120_000,
    },
  }),
);
