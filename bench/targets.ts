/**
 * What the bench drives: the engine (through the SDK's EntityDelivery or the ingest HTTP API) and the
 * raw-Temporal baselines B0/B1, each with its own worker and task queue on the same server, with the
 * same worker options. Every target reports processed events through the probe and, where it runs
 * actions, when each action was received.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Pool } from 'undici';
import { EntityDelivery } from '../src/client/delivery.js';
import type { CompiledConfig } from '../src/config/compiled.js';
import { buildIngestServer } from '../src/ingest/ingest-server.js';
import { entityWorkflowId } from '../src/rules/routing.js';
import type { EngineEvent } from '../src/rules/types.js';
import { startSandbox, type Sandbox } from '../src/sandbox/sandbox-server.js';
import { ConfigStore } from '../src/worker/config-store.js';
import { createEngineWorkers } from '../src/worker/worker.js';
import { stateQuery } from '../src/contract/messages.js';
import { createBaselineActivities } from './baselines/baseline-activities.js';
import { baselineEventSignal } from './baselines/baseline-workflows.js';
import { keyOf } from './bench-events.js';
import type { BenchWorkerOptions } from './bench-options.js';
import type { BenchBundles } from './bundles.js';
import { inPool } from './load.js';
import type { ProcessedTracker, ProcessedTrackers } from './probe/processed-tracker.js';
import type { RestateRuntime } from './restate/restate-server.js';

/** Everything targets share within one bench run. */
export interface BenchContext {
  /** The Temporal server's address (child processes connect to it). */
  address: string;
  client: Client;
  nativeConnection: NativeConnection;
  namespace: string;
  bundles: BenchBundles;
  trackers: ProcessedTrackers;
  logger: Logger;
  workerOptions: BenchWorkerOptions;
  /** The Temporal dev server's process, when the bench started it (CPU per event). */
  serverPid?: number;
  /** The run's Restate server, started by the first Restate target (scenarios 1–3). */
  restate: RestateRuntime;
}

export interface Target {
  readonly name: string;
  readonly taskQueue: string;
  readonly tracker: ProcessedTracker;
  /** performance.now() when the action of each event reached its destination (targets with actions). */
  readonly actionAt: Map<string, number>;
  /** The process of the server this target runs on (Temporal's or Restate's), when known: CPU per event. */
  readonly serverPid?: number;
  /** Delivers events of one entity; resolves when Temporal holds them (the ack). */
  send(events: EngineEvent[]): Promise<void>;
  /**
   * Resolves once the workflows of these entity keys have each handled at least one event and are idle.
   * The probe reports an event when the signal handler ran; the engine's handler only queues it, and a
   * new entity handles it after its config was loaded (a local activity, a further workflow task).
   * Warm-ups wait for this, so measurements start with every entity fully started and cached.
   */
  settled(keys: string[]): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Stops every target, each whatever the others do, then rejects with the first failure: a worker left running
 * would hold the bench's connection, and closing it would fail with an error that hides the first one.
 */
export async function stopAll(targets: Array<{ stop(): Promise<void> }>): Promise<void> {
  const failed = (await Promise.allSettled(targets.map((t) => t.stop()))).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

export type EnginePath = 'sdk' | 'http';

/** The engine's worker for `config`, fed through the SDK's EntityDelivery or the ingest HTTP API. */
export async function startEngineTarget(
  ctx: BenchContext,
  config: CompiledConfig,
  path: EnginePath,
  options: { coalesceWindowMs?: number } = {},
): Promise<Target> {
  const taskQueue = `bench-engine-${randomUUID().slice(0, 8)}`;
  const tracker = ctx.trackers.track(taskQueue);
  const actionAt = new Map<string, number>();
  const sandbox: Sandbox = await startSandbox({
    host: '127.0.0.1',
    systems: ['sink'],
    onRequest: (request) => {
      const { eventId } = JSON.parse(request.body) as { eventId?: string };
      if (eventId !== undefined && !actionAt.has(eventId)) actionAt.set(eventId, performance.now());
    },
  });
  const delivery = new EntityDelivery({
    client: ctx.client,
    taskQueue,
    config,
    ...(options.coalesceWindowMs !== undefined && { coalesceWindowMs: options.coalesceWindowMs }),
  });
  const workers = await createEngineWorkers({
    connection: ctx.nativeConnection,
    namespace: ctx.namespace,
    taskQueue,
    configStore: new ConfigStore(config),
    logger: ctx.logger,
    env: { SINK_URL: sandbox.url('sink') },
    deliverer: delivery,
    workflowBundle: ctx.bundles.engine,
    maxCachedWorkflows: ctx.workerOptions.maxCachedWorkflows,
    tuning: { ...ctx.workerOptions.tuning, sinks: ctx.trackers.sinks() },
  });
  const running = workers.run();

  let app: FastifyInstance | undefined;
  let pool: Pool | undefined;
  let send: (events: EngineEvent[]) => Promise<void>;
  if (path === 'sdk') {
    send = async (events) => {
      await delivery.send(events);
    };
  } else {
    app = buildIngestServer({ config, delivery, logger: ctx.logger, env: {}, client: ctx.client });
    // The load generator shares the bench's process and CPU with what it measures, so it is undici's
    // pool of keep-alive connections: `fetch` (web streams) spent more CPU per request than ingest itself,
    // and node:http's ClientRequest about as much as ingest's own handling.
    const ingest = new Pool(await app.listen({ host: '127.0.0.1', port: 0 }), { connections: 256 });
    pool = ingest;
    send = async (events) => {
      const single = events.length === 1;
      const { statusCode, body } = await ingest.request({
        path: '/events',
        method: 'POST',
        headers: { 'content-type': single ? 'application/cloudevents+json' : 'application/cloudevents-batch+json' },
        body: JSON.stringify(single ? events[0] : events),
      });
      if (statusCode >= 300) throw new Error(`ingest answered ${statusCode}: ${await body.text()}`);
      await body.dump();
    };
  }

  return {
    name: `engine (${path === 'sdk' ? 'SDK' : 'HTTP'})`,
    taskQueue,
    tracker,
    actionAt,
    ...(ctx.serverPid !== undefined && { serverPid: ctx.serverPid }),
    send,
    settled: (keys) => engineSettled(ctx.client, config, keys),
    stop: async () => {
      try {
        await pool?.destroy();
        await app?.close();
        await delivery.flush();
      } finally {
        workers.shutdown();
        await running;
        await sandbox.close();
      }
    },
  };
}

const SETTLE_CONCURRENCY = 32;
const SETTLE_TIMEOUT_MS = 180_000;

/** Waits until each entity's `state` query shows a loaded config and at least one handled event. */
export async function engineSettled(client: Client, config: CompiledConfig, keys: string[]): Promise<void> {
  const [entityType] = Object.keys(config.entities);
  if (entityType === undefined) return;
  const deadline = performance.now() + SETTLE_TIMEOUT_MS;
  await inPool(keys, SETTLE_CONCURRENCY, async (key) => {
    const handle = client.workflow.getHandle(entityWorkflowId({ type: entityType, key }));
    for (;;) {
      const view = await handle.query(stateQuery);
      if (view.configVersion !== 'loading' && view.eventCount >= 1) return;
      if (performance.now() > deadline) throw new Error(`${handle.workflowId} did not settle`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
}

export type BaselineKind = 'B0' | 'B1';

/** A raw-Temporal baseline: B0 counts signals; B1 also runs one no-op activity per signal. */
export async function startBaselineTarget(ctx: BenchContext, kind: BaselineKind): Promise<Target> {
  const taskQueue = `bench-${kind.toLowerCase()}-${randomUUID().slice(0, 8)}`;
  const tracker = ctx.trackers.track(taskQueue);
  const actionAt = new Map<string, number>();
  const worker = await Worker.create({
    connection: ctx.nativeConnection,
    namespace: ctx.namespace,
    taskQueue,
    workflowBundle: ctx.bundles.baseline,
    activities: createBaselineActivities((eventId) => {
      if (!actionAt.has(eventId)) actionAt.set(eventId, performance.now());
    }),
    sinks: ctx.trackers.sinks(),
    maxCachedWorkflows: ctx.workerOptions.maxCachedWorkflows,
    ...ctx.workerOptions.tuning,
  });
  const running = worker.run();
  const workflowType = kind === 'B0' ? 'countingWorkflow' : 'activityWorkflow';
  return {
    name: kind,
    taskQueue,
    tracker,
    actionAt,
    ...(ctx.serverPid !== undefined && { serverPid: ctx.serverPid }),
    send: async (events) => {
      await ctx.client.workflow.signalWithStart(workflowType, {
        workflowId: `${taskQueue}/${keyOf(events[0]!)}`,
        taskQueue,
        signal: baselineEventSignal,
        signalArgs: [{ events }],
      });
    },
    // The baselines' signal handler is all their handling: the probe's report is final.
    settled: async () => undefined,
    stop: async () => {
      worker.shutdown();
      await running;
    },
  };
}
