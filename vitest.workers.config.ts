import { defineConfig } from 'vitest/config';

// The Worker suite: the real Worker bundle (wrangler deploy --dry-run) runs in workerd through
// Miniflare; the tests drive it over loopback HTTP against the Cognito emulator. The Node run of the
// shared scenario table (test/scenarios) is part of vitest.config.ts.
export default defineConfig({
  test: {
    include: ['test/worker/**/*.test.ts'],
    globalSetup: ['test/worker/global-setup.ts'],
    // The first request to a fresh workerd compiles the bundle (seconds).
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: process.env.CG_TEST_REPORT_DIR ? ['default', ['json', { outputFile: `${process.env.CG_TEST_REPORT_DIR}/worker.json` }]] : ['default'],
  },
});
