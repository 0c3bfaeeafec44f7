import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Native modules (sharp, better-sqlite3, onnxruntime) are happier in forked processes than worker threads.
    pool: 'forks',
    maxWorkers: 2,
    // Reserves (and afterwards stops) one PostgreSQL cluster for the run; started only if a test needs it.
    globalSetup: ['./test/db/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
