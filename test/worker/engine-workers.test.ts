/**
 * The engine's workers run workflow code on DEFAULT_WORKFLOW_THREADS threads unless told otherwise
 * (`HUNT_WORKFLOW_THREADS`): the SDK's default is one, where cold entities queue (issue 20). They poll the task queue
 * itself with at least one poller per partition the server gives it: with fewer, a cold entity's task can wait 2 s
 * in a partition's backlog (DEFAULT_NON_STICKY_POLL_RATIO).
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { EntityDelivery } from '../../src/client/delivery.js';
import { compileConfigText } from '../../src/config/index.js';
import { ConfigStore } from '../../src/worker/config-store.js';
import {
  createEngineWorkers,
  DEFAULT_NON_STICKY_POLL_RATIO,
  DEFAULT_WORKFLOW_THREADS,
} from '../../src/worker/worker.js';
import { temporalTestContext, uniqueName, workflowBundle } from '../helpers/temporal.js';

const compiled = compileConfigText(
  `
name: threads
entities:
  team: { key: data.teamId }
sources:
  test: { auth: none }
events:
  pinged: { source: test, entity: team, schema: { type: object, required: [teamId] } }
`,
  'threads.yaml',
);

async function optionsOf(workflowThreads?: number) {
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
  const ctx = await temporalTestContext();
  const taskQueue = uniqueName('threads');
  const workers = await createEngineWorkers({
    connection: ctx.nativeConnection,
    namespace: ctx.namespace,
    taskQueue,
    configStore: new ConfigStore(compiled.config),
    logger: pino({ level: 'silent' }),
    env: {},
    deliverer: new EntityDelivery({ client: ctx.client, taskQueue, config: compiled.config }),
    workflowBundle: workflowBundle(),
    ...(workflowThreads !== undefined && { workflowThreads }),
  });
  // Started and drained at once: nothing of it outlives the test.
  const running = workers.run();
  workers.shutdown();
  await running;
  return { options: workers.workers[0]!.options, ctx, taskQueue };
}

const threadsOf = async (workflowThreads?: number) => (await optionsOf(workflowThreads)).options.workflowThreadPoolSize;

describe('engine workers', () => {
  it('run workflow code on more than the SDK default of one thread, or on as many as asked', async () => {
    expect(DEFAULT_WORKFLOW_THREADS).toBeGreaterThan(1);
    expect(await threadsOf()).toBe(DEFAULT_WORKFLOW_THREADS);
    expect(await threadsOf(3)).toBe(3);
  }, 60_000);

  it('poll the task queue with at least one poller per partition the server gives it', async () => {
    const { options, ctx, taskQueue } = await optionsOf();
    expect(options.nonStickyToStickyPollRatio).toBe(DEFAULT_NON_STICKY_POLL_RATIO);
    const behavior = options.workflowTaskPollerBehavior;
    if (behavior.type !== 'simple-maximum') throw new Error(`unexpected poller behavior ${behavior.type}`);
    // The SDK's split (sdk-core): floor(maximum × ratio) pollers on the task queue, at least one.
    const nonSticky = Math.max(1, Math.floor(behavior.maximum * options.nonStickyToStickyPollRatio));
    const { workflowTaskQueuePartitions } = await ctx.client.workflowService.listTaskQueuePartitions({
      namespace: ctx.namespace,
      taskQueue: { name: taskQueue },
    });
    expect(workflowTaskQueuePartitions.length).toBeGreaterThan(1);
    expect(nonSticky).toBeGreaterThanOrEqual(workflowTaskQueuePartitions.length);
  }, 60_000);
});
