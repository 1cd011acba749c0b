/**
 * Worker bootstrap: the entity workflow and every activity on the engine's task queue, plus one
 * worker per flow-controlled connector on its own queue (see docs/connectors.md).
 */
import { existsSync } from 'node:fs';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../../activities/index.js';
import { Client } from '@temporalio/client';
import type { EngineEvent } from '../rules/types.js';
import type { DefinedConnector } from '../sdk/define-connector.js';
import type { ConfigStore } from './config-store.js';
import { connectorWorkerOptions } from './connector-workers.js';
import { builtWorkflowBundlePath, workflowPreloadModules, workflowsPath } from './workflows-path.js';

export interface EngineWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  configStore: ConfigStore;
  logger: Logger;
  /** Environment for `{{ env.X }}` in connector settings. */
  env: Record<string, string | undefined>;
  /** Delivers `emit`ted events (EntityDelivery). */
  deliverer: { send(events: EngineEvent[]): Promise<unknown> };
  /** The client `start` / `signal` actions use (default: the deliverer's, when it has one). */
  client?: Client;
  /** TypeScript connectors by name (loadConnectorModules over the configuration file). */
  connectorModules?: ReadonlyMap<string, DefinedConnector>;
  /**
   * A prebuilt bundle (tests build one per run); default: the one `npm run build` made beside the compiled
   * code, else (running from the TypeScript sources) bundle `workflows/` at start.
   */
  workflowBundle?: { codePath: string } | { code: string };
  maxCachedWorkflows?: number;
  /** Threads that run workflow code (default DEFAULT_WORKFLOW_THREADS). */
  workflowThreads?: number;
  /** Extra worker options (benchmarks tune slots and pollers, and observe workflows through sinks). */
  tuning?: Partial<
    Pick<
      WorkerOptions,
      | 'maxConcurrentWorkflowTaskExecutions'
      | 'maxConcurrentActivityTaskExecutions'
      | 'maxConcurrentWorkflowTaskPolls'
      | 'maxConcurrentActivityTaskPolls'
      | 'sinks'
    >
  >;
}

/**
 * Threads that run workflow code, by default. The SDK's default with its reused V8 context is one, and every
 * activation of every entity then waits for that thread: an event to an entity the worker does not hold costs
 * several activations (evicting another entity, rebuilding this one, its first local activity, the event), so
 * with many cold entities the one thread is where cold events queue (issue 20, docs/performance.md). Two let
 * one entity's replay run beside another's activation.
 */
export const DEFAULT_WORKFLOW_THREADS = 2;

/**
 * The share of workflow-task pollers on the task queue itself rather than the worker's sticky queue. The server
 * splits a task queue into 4 partitions (`matching.numTaskqueueReadPartitions`), and every event to an entity the
 * worker does not hold is a task on that queue. A task that lands in a partition where no poll waits goes to that
 * partition's backlog, and the backlog forwards it to the root partition with a 2 s timeout: with the SDK's 0.2 the
 * worker has 2 such pollers for 4 partitions, and 1–6 % of cold events waited those 2 s (issue 20,
 * docs/performance.md). 0.5 gives 5 of the default 10 pollers, one per partition and one spare.
 */
export const DEFAULT_NON_STICKY_POLL_RATIO = 0.5;

export interface EngineWorkers {
  workers: Worker[];
  /** Runs every worker until shutdown; rejects if one fails. */
  run(): Promise<void>;
  /** Starts a graceful drain of every worker. */
  shutdown(): void;
}

function clientOf(options: EngineWorkerOptions): Client | undefined {
  if (options.client) return options.client;
  const client = (options.deliverer as { client?: unknown }).client;
  return client instanceof Client ? client : undefined;
}

/** Creates the engine's workers (not yet running). */
export async function createEngineWorkers(options: EngineWorkerOptions): Promise<EngineWorkers> {
  const client = clientOf(options);
  const activities = createActivities({
    logger: options.logger,
    env: options.env,
    configStore: options.configStore,
    deliverer: options.deliverer,
    ...(client && { client }),
    ...(options.connectorModules && { connectorModules: options.connectorModules }),
  });
  const workflowBundle =
    options.workflowBundle ??
    (builtWorkflowBundlePath && existsSync(builtWorkflowBundlePath)
      ? { codePath: builtWorkflowBundlePath }
      : undefined);
  const workflowSource = workflowBundle
    ? { workflowBundle }
    : { workflowsPath, bundlerOptions: { preloadModules: workflowPreloadModules } };
  const main = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...workflowSource,
    activities,
    ...(options.maxCachedWorkflows !== undefined && { maxCachedWorkflows: options.maxCachedWorkflows }),
    workflowThreadPoolSize: options.workflowThreads ?? DEFAULT_WORKFLOW_THREADS,
    nonStickyToStickyPollRatio: DEFAULT_NON_STICKY_POLL_RATIO,
    ...options.tuning,
  });
  const workers = [main];
  for (const queue of connectorWorkerOptions(options.configStore.current, options.taskQueue)) {
    workers.push(
      await Worker.create({
        connection: options.connection,
        namespace: options.namespace,
        activities,
        ...queue,
      }),
    );
  }
  return {
    workers,
    run: async () => {
      await Promise.all(workers.map((w) => w.run()));
    },
    shutdown: () => {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    },
  };
}
