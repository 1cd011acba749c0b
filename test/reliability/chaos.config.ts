/**
 * `npm run chaos`: the whole reliability suite at full size — the short scenarios that `npm test` also
 * runs (`*.test.ts`) plus the long ones that only run here (`*.chaos.ts`) — on the run's shared Temporal
 * dev server, as in vitest.config.ts.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    // The Kafka source scenarios (test/ingest/kafka) run here at the sizes: 50,000 records, 1,000 keys.
    include: [
      'test/reliability/**/*.test.ts',
      'test/reliability/**/*.chaos.ts',
      'test/ingest/kafka/kafka-source.test.ts',
    ],
    globalSetup: ['test/helpers/global-setup.ts'],
    pool: 'forks',
    // The scenarios share two cores: run them one after another so one's load is not another's fault.
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
  },
});
