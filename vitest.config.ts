import { defineConfig } from 'vitest/config';

// Two projects so unit tests run in seconds without a server, and everything that needs Temporal
// shares one real dev server per run (test/global-setup.ts).
export default defineConfig({
  test: {
    // Two cores: workers, simulator and dev server share them; run test files one at a time.
    fileParallelism: false,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'workflows',
          include: [
            'test/workflows/**/*.test.ts',
            'test/e2e/**/*.test.ts',
            'test/chaos/**/*.test.ts',
            // Skipped unless run by `npm run test:cluster` (scripts/test-cluster.sh).
            'test/cluster/**/*.test.ts',
          ],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
