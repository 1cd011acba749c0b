/**
 * `npm run chaos -- --cluster`: the fault scenarios on a whole local cluster (src/cluster), one after
 * another under a steady load through nginx. The cluster needs no dev server, so no global setup.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/cluster/**/*.chaos.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 1_800_000,
    hookTimeout: 1_800_000,
    teardownTimeout: 120_000,
  },
});
