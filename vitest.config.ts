import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One Temporal dev server for the whole run, shared by the integration tests (test/helpers/temporal.ts).
    globalSetup: ['test/helpers/global-setup.ts'],
    // The Temporal SDK's logs are kept per test and shown only for a failing one (test/helpers/sdk-log.ts).
    setupFiles: ['test/helpers/sdk-log-setup.ts'],
    // Forks, not threads: Temporal workers start their own worker threads and native runtime.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
  },
});
