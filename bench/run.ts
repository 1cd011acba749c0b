/**
 * `npm run bench [-- --quick] [-- --only 1,3] [-- --out file] [-- --cluster] [-- --build-minutes N] [-- --entities N] [-- --cache N]`:
 * the engine against raw-Temporal baselines on one dev server started for the run. Prints a table; writes
 * bench/results/latest.json. `--build-minutes`: scenario 9 builds its entities for at most N minutes, then keeps
 * its progress for the next run (the full size's build takes hours on 2 cores). `--entities`: scenario 9 with N
 * entities instead of its size's (the report's title and figures say how many); `--cache`: its worker cache.
 * `--cluster`: scenarios 1–3 (unless --only) on a local cluster of `npm run cluster`'s PostgreSQL and
 * Temporal server (4 history shards); writes bench/results/cluster-latest.json.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchSizes } from './bench-options.js';
import { runBench } from './harness.js';
import { renderTable } from './report.js';

const defaultOut = fileURLToPath(new URL('./results/latest.json', import.meta.url));
const clusterOut = fileURLToPath(new URL('./results/cluster-latest.json', import.meta.url));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string' },
      cluster: { type: 'boolean', default: false },
      'build-minutes': { type: 'string' },
      entities: { type: 'string' },
      cache: { type: 'string' },
    },
  });
  const sizes = benchSizes({
    quick: values.quick,
    buildMinutes: values['build-minutes'],
    entities: values.entities,
    cache: values.cache,
  });
  const out = values.out ?? (values.cluster ? clusterOut : defaultOut);
  const only = values.only?.split(',').map((s) => Number(s.trim())) ?? (values.cluster ? [1, 2, 3] : undefined);
  const results = await runBench({
    cluster: values.cluster,
    // Another entity count or cache than the size's is neither the quick nor the full run.
    mode: values.entities === undefined && values.cache === undefined ? (values.quick ? 'quick' : 'full') : 'custom',
    sizes,
    ...(only && { only }),
    onProgress: async (partial) => {
      await fs.mkdir(path.dirname(out), { recursive: true });
      await fs.writeFile(out, `${JSON.stringify(partial, null, 2)}\n`);
    },
  });
  process.stdout.write(renderTable(results));
  await fs.mkdir(path.dirname(out), { recursive: true });
  await fs.writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`results written to ${path.relative(process.cwd(), out)}\n`);
}

// Ctrl-C: exit through process.exit so the cluster's process groups are killed on the way out
// (src/cluster/cluster-process.ts); a signal's default action would leave them running.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().then(
  // Native connections and the runtime keep the event loop alive; the bench is done.
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
