import { defineConfig } from 'vitest/config';

// Node-side tests. Each test file starts the servers it needs on port 0 (ephemeral), so files run in
// parallel without port clashes.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/worker/**', 'node_modules/**'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 2,
    // CI also writes a JSON report so .ci/run can print one plain "N passed, N failed" line.
    reporters: process.env.CG_TEST_REPORT_DIR ? ['default', ['json', { outputFile: `${process.env.CG_TEST_REPORT_DIR}/node.json` }]] : ['default'],
  },
});
