/**
 * `npm run bench:worker [-- --runs 5]`: how long a worker process takes from its spawn until it polls its task
 * queue (its "worker running" log line), with the reference configuration, against a dev server this script
 * starts. Two ways, run in turns so a machine that slows down slows both alike:
 *   - compiled: `node dist/src/main.js`, the build's JavaScript with the workflow bundle `npm run build` made
 *     (what `npm start` and the Docker image run);
 *   - from sources: `node --import tsx src/main.ts`, which compiles the TypeScript as it loads and bundles the
 *     workflow code at start (what `npm start` ran before the build existed).
 * Prints each one's median and its ratio to the compiled one.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
// @ts-expect-error -- plain JavaScript without types (it runs before anything is compiled)
import { buildIsCurrent } from '../bin/build-state.js';
import { startDevServer } from '../src/dev/dev-server.js';
import { freePort } from './bench-server.js';
import { percentile } from './stats.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const ways: ReadonlyArray<[string, string[]]> = [
  ['compiled (dist/src/main.js, prebuilt workflow bundle)', ['dist/src/main.js']],
  ['from sources (tsx src/main.ts, workflows bundled at start)', ['--import', 'tsx', 'src/main.ts']],
];

/** Spawns a worker, resolves with the milliseconds until it logs "worker running", then stops it. */
function timeWorkerStart(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let runningAt: number | undefined;
    const timeout = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (runningAt === undefined && output.includes('"msg":"worker running"')) {
        runningAt = performance.now() - started;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(timeout);
      if (runningAt === undefined) reject(new Error(`node ${args.join(' ')} never said "worker running":\n${output}`));
      else resolve(runningAt);
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, not ${values.runs}`);
  if (!(buildIsCurrent as () => boolean)())
    throw new Error('dist/ is older than the sources: run `npm run build` first, so both ways run the same code');
  const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-bench-worker-'));
  const server = await startDevServer({
    stateDir,
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
    logger: pino({ level: 'warn' }),
    allowDownload: false,
  });
  try {
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: server.address,
      HUNT_ROLE: 'worker',
      HUNT_SANDBOX: 'false',
      HUNT_STATE_DIR: path.join(stateDir, 'hunt'),
      LOG_LEVEL: 'info',
    };
    // One untimed start of each: the first compiled start after a build, and tsx's first, fill their caches.
    for (const [, args] of ways) await timeWorkerStart(args, env);
    const times = new Map(ways.map(([name]) => [name, [] as number[]]));
    for (let run = 0; run < runs; run++)
      for (const [name, args] of ways) times.get(name)!.push(await timeWorkerStart(args, env));
    const compiled = percentile(times.get(ways[0]![0])!, 50);
    const rows = ways.map(([name]) => {
      const t = times.get(name)!;
      const median = percentile(t, 50);
      const range = `${(Math.min(...t) / 1000).toFixed(2)}–${(Math.max(...t) / 1000).toFixed(2)} s`;
      return `| ${name} | ${(median / 1000).toFixed(2)} s | ${range} | ${(median / compiled).toFixed(2)} |`;
    });
    process.stdout.write(
      [
        `${runs} starts of each, in turns; medians. Load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores.`,
        '',
        '| worker | spawn → "worker running" | range | ÷ compiled |',
        '| --- | --- | --- | --- |',
        ...rows,
        '',
      ].join('\n'),
    );
  } finally {
    await server.stop();
    await fs.rm(stateDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
