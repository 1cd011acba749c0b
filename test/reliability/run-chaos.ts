/**
 * `npm run chaos`: the reliability suite at full size on the dev server (test/reliability/chaos.config.ts);
 * `npm run chaos -- --cluster`: the fault scenarios on the whole cluster of `npm run cluster`
 * (test/cluster/cluster-chaos.config.ts). Other arguments go to Vitest.
 */
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const cluster = args.includes('--cluster');
const config = cluster ? 'test/cluster/cluster-chaos.config.ts' : 'test/reliability/chaos.config.ts';
// `npm run` puts node_modules/.bin on PATH.
const result = spawnSync('vitest', ['run', '--config', config, ...args.filter((arg) => arg !== '--cluster')], {
  stdio: 'inherit',
  env: { ...process.env, CHAOS: 'full' },
});
process.exit(result.status ?? 1);
