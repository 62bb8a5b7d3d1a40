import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // web/src: the dashboard's pure helpers (wording, parsing of API answers), tested without a browser.
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: two files at a time keeps PostgreSQL and the test workers from starving each other.
    maxWorkers: 2,
  },
});
