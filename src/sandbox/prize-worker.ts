/**
 * The treasure hunt team's own Temporal worker, as the sandbox stands in for it: the team's systems include the
 * "prize fulfilment" workflow (examples/treasure-hunt/workflows/), which the reference configuration's
 * `finish-hunt` rule starts. That code is the team's, not the engine's — so the engine's workers do not run it;
 * `npm start` hosts it here, beside the sandbox partners, on every task queue the configuration starts it on.
 *
 * The module is found beside the configuration (`<config dir>/workflows/prize-fulfilment.ts`), so the sources and
 * any compiled build (dist/, the image) find the same file. Its code is bundled once per content
 * (bundleWorkflowCode, which compiles the TypeScript itself) and the bundle kept under the state directory, so a
 * restart reuses it.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { bundleWorkflowCode, Worker, type NativeConnection } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { CompiledConfig } from '../config/compiled.js';

/** The workflow type the example's module exports. */
export const PRIZE_WORKFLOW = 'prizeFulfilment';

/** The team's prize workflow module for a configuration file: `<its dir>/workflows/prize-fulfilment.ts`. */
export function prizeWorkflowsPath(configPath: string): string {
  return path.join(path.dirname(path.resolve(configPath)), 'workflows', 'prize-fulfilment.ts');
}

/** The task queues the configuration's `start` actions start the prize workflow on. */
export function prizeTaskQueues(config: CompiledConfig): string[] {
  const queues = new Set<string>();
  for (const rule of config.rules)
    for (const action of [...rule.then, ...rule.onFailure])
      if (action.kind === 'start' && action.workflow === PRIZE_WORKFLOW) queues.add(action.taskQueue);
  return [...queues].sort();
}

export interface PrizeWorkerOptions {
  /** The workflow module (prizeWorkflowsPath of the configuration). */
  workflowsPath: string;
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
export async function prizeWorkflowBundle(
  workflowsPath: string,
  cacheDir: string | undefined,
  logger: Logger,
): Promise<{ code: string }> {
  const source = await fs.readFile(workflowsPath);
  const sdk = createRequire(import.meta.url)('@temporalio/worker/package.json') as { version: string };
  const digest = createHash('sha256').update(source).update(sdk.version).digest('hex').slice(0, 16);
  const cached = cacheDir && path.join(cacheDir, `prize-workflow-bundle-${digest}.js`);
  if (cached) {
    const code = await fs.readFile(cached, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (code !== undefined) return { code };
  }
  logger.info({ workflows: workflowsPath }, 'bundling the team’s prize fulfilment workflow');
  const quiet = () => {};
  const { code } = await bundleWorkflowCode({
    workflowsPath,
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
  const { connection, namespace, taskQueues, logger, workflowsPath } = options;
  const none: PrizeWorkers = { taskQueues: [], stop: () => Promise.resolve(), done: Promise.resolve() };
  if (taskQueues.length === 0) return none;
  const found = await fs.access(workflowsPath).then(
    () => true,
    () => false,
  );
  if (!found) {
    // A configuration of another team: its workers are its own business; say why nothing runs the workflow here.
    logger.warn(
      { taskQueues, workflows: workflowsPath },
      `the configuration starts ${PRIZE_WORKFLOW}, but there is no ${workflowsPath} for the sandbox to run`,
    );
    return none;
  }
  const workflowBundle = await prizeWorkflowBundle(workflowsPath, options.cacheDir, logger);
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
