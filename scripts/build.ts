/**
 * `npm run build` (also run by `npm install`'s prepare, and by `npm start` when the sources changed):
 * compiles src/, workflows/ and activities/ into dist/ (tsc, no type check: `npm run lint` checks types),
 * then bundles the workflow code once into dist/workflow-bundle.js, so a compiled worker starts without
 * bundling. The stamp written last marks the build complete (bin/build-state.js compares it to the sources).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type * as WorkflowPaths from '../src/worker/workflows-path.js';

const root = path.resolve(import.meta.dirname, '..');
// `--out-dir <dir>` builds elsewhere (the build test does, beside a dist/ other tests may be running).
const outDirFlag = process.argv.indexOf('--out-dir');
const dist = outDirFlag > 0 ? path.resolve(process.argv[outDirFlag + 1]!) : path.join(root, 'dist');

async function main(): Promise<void> {
  const started = performance.now();
  const say = (line: string) => process.stderr.write(`build: ${line}\n`);
  const step = (what: string) => say(`${what}…`);
  await fs.rm(dist, { recursive: true, force: true });

  step(`compiling TypeScript into ${path.relative(root, dist) || dist}/`);
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const compiled = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', dist], {
    stdio: 'inherit',
  });
  if (compiled.status !== 0) throw new Error(`tsc exited with ${compiled.status ?? compiled.signal}`);

  step('bundling the workflow code');
  // The compiled module names its own paths: the dist/ workflows, preloads and bundle file.
  const paths = (await import(path.join(dist, 'src/worker/workflows-path.js'))) as typeof WorkflowPaths;
  const { code } = await bundleWorkflowCode({
    workflowsPath: paths.workflowsPath,
    preloadModules: paths.workflowPreloadModules,
    logger: { trace() {}, debug() {}, info() {}, log() {}, warn: (m) => say(`bundler: ${m}`), error: (m) => say(m) },
  });
  await fs.writeFile(paths.builtWorkflowBundlePath!, code);

  await fs.writeFile(path.join(dist, '.build-stamp'), `${new Date().toISOString()}\n`);
  say(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  process.stderr.write(`build failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
