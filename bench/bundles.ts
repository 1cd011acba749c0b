/**
 * Workflow bundles the bench's workers load: the engine's and the baselines', each with the
 * processed-event probe, built once per bench run and written to a temporary directory.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowPreloadModules, workflowsPath } from '../src/worker/workflows-path.js';

export interface BenchBundles {
  engine: { codePath: string };
  baseline: { codePath: string };
  remove(): Promise<void>;
}

const probePath = fileURLToPath(new URL('./probe/processed-interceptor.ts', import.meta.url));
const baselinesPath = fileURLToPath(new URL('./baselines/index.ts', import.meta.url));

const quiet = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => process.stderr.write(`[bundler] ${message}\n`),
  error: (message: string) => process.stderr.write(`[bundler] ${message}\n`),
  log: () => undefined,
};

/** Bundles the engine and baseline workflows (with the probe interceptor) into a temp directory. */
export async function buildBenchBundles(): Promise<BenchBundles> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-bench-bundles-'));
  const write = async (name: string, entry: string) => {
    const bundle = await bundleWorkflowCode({
      workflowsPath: entry,
      ...(entry === workflowsPath && { preloadModules: workflowPreloadModules }),
      workflowInterceptorModules: [probePath],
      logger: quiet,
    });
    const codePath = path.join(dir, `${name}.js`);
    await fs.writeFile(codePath, bundle.code);
    return { codePath };
  };
  const engine = await write('engine', workflowsPath);
  const baseline = await write('baseline', baselinesPath);
  return { engine, baseline, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}
