/**
 * `npx vitest run --config bench/export/vitest.config.ts`: the export's throughput and memory on 100,000
 * events, on the run's own Temporal dev server (as in vitest.config.ts). Slow: kept out of `npm test`.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['bench/export/*.measure.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    pool: 'forks',
    testTimeout: 1_800_000,
    hookTimeout: 1_800_000,
  },
});
