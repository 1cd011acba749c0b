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
import { EntityDelivery } from '../src/client/delivery.js';
import type { CompiledConfig } from '../src/config/compiled.js';
import { buildIngestServer } from '../src/ingest/ingest-server.js';
import type { EngineEvent } from '../src/rules/types.js';
import { startSandbox, type Sandbox } from '../src/sandbox/sandbox-server.js';
import { ConfigStore } from '../src/worker/config-store.js';
import { createEngineWorkers } from '../src/worker/worker.js';
import { createBaselineActivities } from './baselines/baseline-activities.js';
import { baselineEventSignal } from './baselines/baseline-workflows.js';
import { keyOf } from './bench-events.js';
import type { BenchWorkerOptions } from './bench-options.js';
import type { BenchBundles } from './bundles.js';
import type { ProcessedTracker, ProcessedTrackers } from './probe/processed-tracker.js';

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
}

export interface Target {
  readonly name: string;
  readonly taskQueue: string;
  readonly tracker: ProcessedTracker;
  /** performance.now() when the action of each event reached its destination (targets with actions). */
  readonly actionAt: Map<string, number>;
  /** Delivers events of one entity; resolves when Temporal holds them (the ack). */
  send(events: EngineEvent[]): Promise<void>;
  stop(): Promise<void>;
}

export type EnginePath = 'sdk' | 'http';

/** The engine's worker for `config`, fed through the SDK's EntityDelivery or the ingest HTTP API. */
export async function startEngineTarget(
  ctx: BenchContext,
  config: CompiledConfig,
  path: EnginePath,
  options: { coalesceWindowMs?: number; visibilityOff?: boolean } = {},
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
    workflowBundle: options.visibilityOff ? ctx.bundles.engineVisibilityOff : ctx.bundles.engine,
    maxCachedWorkflows: ctx.workerOptions.maxCachedWorkflows,
    tuning: { ...ctx.workerOptions.tuning, sinks: ctx.trackers.sinks() },
  });
  const running = workers.run();

  let app: FastifyInstance | undefined;
  let send: (events: EngineEvent[]) => Promise<void>;
  if (path === 'sdk') {
    send = async (events) => {
      await delivery.send(events);
    };
  } else {
    app = buildIngestServer({ config, delivery, logger: ctx.logger, env: {}, client: ctx.client });
    const url = `${await app.listen({ host: '127.0.0.1', port: 0 })}/events`;
    send = async (events) => {
      const single = events.length === 1;
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': single ? 'application/cloudevents+json' : 'application/cloudevents-batch+json',
        },
        body: JSON.stringify(single ? events[0] : events),
      });
      if (response.status >= 300) throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
      await response.arrayBuffer();
    };
  }

  return {
    name: `engine (${path === 'sdk' ? 'SDK' : 'HTTP'}${options.visibilityOff ? ', visibility off' : ''})`,
    taskQueue,
    tracker,
    actionAt,
    send,
    stop: async () => {
      await app?.close();
      await delivery.flush();
      workers.shutdown();
      await running;
      await sandbox.close();
    },
  };
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
    send: async (events) => {
      await ctx.client.workflow.signalWithStart(workflowType, {
        workflowId: `${taskQueue}/${keyOf(events[0]!)}`,
        taskQueue,
        signal: baselineEventSignal,
        signalArgs: [{ events }],
      });
    },
    stop: async () => {
      worker.shutdown();
      await running;
    },
  };
}
