import { defineConfig } from 'vitest/config';

/**
 * Test settings every package shares: workspace packages resolve to their
 * TypeScript sources (the `source` export condition), so tests need no build.
 */
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
