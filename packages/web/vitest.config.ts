import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

/** The e2e test builds the client and drives chromium: longer timeouts. */
export default mergeConfig(
  shared,
  defineConfig({
    test: {
      testTimeout: 60_000,
      hookTimeout: 120_000,
      // expect.poll waits on a browser and a server round trip here; vitest's 1 s default is
      // shorter than a room delete and its re-render took on 2 loaded cores in CI.
      expect: { poll: { timeout: 10_000 } },
    },
  }),
);
