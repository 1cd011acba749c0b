/**
 * The treasure hunt team's own Temporal worker, as the sandbox stands in for it: the team's systems include the
 * "prize fulfilment" workflow (examples/treasure-hunt/workflows/), which the reference configuration's
 * `finish-hunt` rule starts. That code is the team's, not the engine's — so the engine's workers do not run it;
 * `npm start` hosts it here, beside the sandbox partners, on every task queue the configuration starts it on.
 *
 * The workflow code is bundled once per content (bundleWorkflowCode) and the bundle kept under the state
 * directory, so a restart — from the TypeScript sources or the compiled build in dist/ — reuses it.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker, type NativeConnection } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { CompiledConfig } from '../config/compiled.js';

/** The workflow type the example's module exports. */
export const PRIZE_WORKFLOW = 'prizeFulfilment';

// Three levels up from dist/src/sandbox/, two from src/sandbox/: the project root either way.
const fromDist = import.meta.url.endsWith('.js');

/** The example's workflow module (TypeScript: the bundler compiles it, from the sources and from dist/ alike). */
export const prizeWorkflowsPath = fileURLToPath(
  new URL(`${fromDist ? '../../../' : '../../'}examples/treasure-hunt/workflows/prize-fulfilment.ts`, import.meta.url),
);

/** The task queues the configuration's `start` actions start the prize workflow on. */
export function prizeTaskQueues(config: CompiledConfig): string[] {
  const queues = new Set<string>();
  for (const rule of config.rules)
    for (const action of [...rule.then, ...rule.onFailure])
      if (action.kind === 'start' && action.workflow === PRIZE_WORKFLOW) queues.add(action.taskQueue);
  return [...queues].sort();
}

export interface PrizeWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueues: string[];
  /** Where the bundle is kept between starts (default: bundle in memory each start). */
  cacheDir?: string;
  logger: Logger;
}

export interface PrizeWorkers {
  readonly taskQueues: string[];
  /** Stops polling and waits for the running tasks (Temporal's graceful shutdown). */
  stop(): Promise<void>;
  /** Settles when every worker stopped (rejects if one failed). */
  readonly done: Promise<void>;
}

/** Bundles the example's workflow code, or reads the bundle made from the same source before. */
export async function prizeWorkflowBundle(cacheDir: string | undefined, logger: Logger): Promise<{ code: string }> {
  const source = await fs.readFile(prizeWorkflowsPath);
  const sdk = JSON.parse(
    await fs.readFile(fileURLToPath(import.meta.resolve('@temporalio/worker/package.json')), 'utf8'),
  ) as { version: string };
  const digest = createHash('sha256').update(source).update(sdk.version).digest('hex').slice(0, 16);
  const cached = cacheDir && path.join(cacheDir, `prize-workflow-bundle-${digest}.js`);
  if (cached) {
    const code = await fs.readFile(cached, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (code !== undefined) return { code };
  }
  logger.info({ workflows: prizeWorkflowsPath }, 'bundling the example prize fulfilment workflow');
  const quiet = () => {};
  const { code } = await bundleWorkflowCode({
    workflowsPath: prizeWorkflowsPath,
    logger: {
      trace: quiet,
      debug: quiet,
      info: quiet,
      log: quiet,
      warn: (message) => logger.warn(message),
      error: (message) => logger.error(message),
    },
  });
  if (cached) {
    await fs.mkdir(cacheDir, { recursive: true });
    // Written whole, then renamed: a start interrupted here never leaves half a bundle behind.
    await fs.writeFile(`${cached}.tmp`, code);
    await fs.rename(`${cached}.tmp`, cached);
  }
  return { code };
}

/** Starts one worker per task queue for the example's prize fulfilment workflow. */
export async function startPrizeWorkers(options: PrizeWorkerOptions): Promise<PrizeWorkers> {
  const { connection, namespace, taskQueues, logger } = options;
  if (taskQueues.length === 0) return { taskQueues, stop: () => Promise.resolve(), done: Promise.resolve() };
  const workflowBundle = await prizeWorkflowBundle(options.cacheDir, logger);
  const workers = await Promise.all(
    taskQueues.map((taskQueue) => Worker.create({ connection, namespace, taskQueue, workflowBundle })),
  );
  const done = Promise.all(workers.map((w) => w.run())).then(() => undefined);
  logger.info({ taskQueues }, 'sandbox: the team’s prize fulfilment worker is running');
  return {
    taskQueues,
    done,
    async stop() {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
