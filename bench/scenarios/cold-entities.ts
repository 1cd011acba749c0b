/**
 * Scenario 8: cold entities. N entities each get a realistic history (events one at a time, each sent once
 * the last was handled, so each workflow task holds one event), the worker is restarted with a cache far
 * smaller than N, and events then go to random entities, one at a time per sender: nearly every event meets
 * an entity its worker does not hold and must replay. Compared: the engine with compaction (idle entities
 * continue as new, so a cold event replays a short history), the engine without it, and B0 built the same way.
 */
import { randomUUID } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { EntityDelivery } from '../../src/client/delivery.js';
import { EngineUnavailableError } from '../../src/client/engine-unavailable-error.js';
import { compileConfigText, formatProblems } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { ConfigStore } from '../../src/worker/config-store.js';
import { createEngineWorkers } from '../../src/worker/worker.js';
import { createBaselineActivities } from '../baselines/baseline-activities.js';
import { baselineEventSignal } from '../baselines/baseline-workflows.js';
import { BENCH_EVENT_TYPE, BENCH_SOURCE } from '../bench-config.js';
import { EventFactory, seededRandom } from '../bench-events.js';
import type { BenchSizes } from '../bench-options.js';
import { inPool } from '../load.js';
import { figure, ratio, type ScenarioResult } from '../results-model.js';
import { percentile } from '../stats.js';
import type { BenchContext } from '../targets.js';

/** Idle time after which the compacting engine's entities continue as new (the build waits this out). */
const COMPACT_IDLE = '2s';

/** The cold-entity bench configuration with this `compaction` setting (scenario 9 uses it too). */
export function coldConfig(compaction: string): CompiledConfig {
  const text = `
name: bench-cold
entities:
  team:
    key: data.teamId
    initial: { scans: 0, last: '' }
    compaction: ${compaction}
sources:
  ${BENCH_SOURCE}: { auth: none }
events:
  ${BENCH_EVENT_TYPE}:
    source: ${BENCH_SOURCE}
    entity: team
    schema: { type: object, required: [teamId, checkpoint] }
    reduce:
      - increment: { scans: 1 }
      - set: { last: '{{ data.checkpoint }}' }
rules:
  - id: counted
    on: ${BENCH_EVENT_TYPE}
    if: 'state.scans > 0'
    then: [{ set: { counted: true } }]
`;
  const result = compileConfigText(text, 'bench-cold.yaml');
  if (!result.ok) throw new Error(formatProblems(result.problems));
  return result.config;
}

interface ColdTarget {
  name: string;
  taskQueue: string;
  send(event: ReturnType<EventFactory['event']>): Promise<void>;
  /** (Re)starts the worker with this cache size; the previous one is stopped first. */
  restart(cache: number): Promise<void>;
  stop(): Promise<void>;
}

async function engineColdTarget(ctx: BenchContext, config: CompiledConfig, name: string): Promise<ColdTarget> {
  const taskQueue = `bench-cold-${randomUUID().slice(0, 8)}`;
  const delivery = new EntityDelivery({ client: ctx.client, taskQueue, config });
  let stop: (() => Promise<void>) | undefined;
  return {
    name,
    taskQueue,
    send: async (event) => {
      await delivery.send([event]);
    },
    restart: async (cache) => {
      await stop?.();
      const workers = await createEngineWorkers({
        connection: ctx.nativeConnection,
        namespace: ctx.namespace,
        taskQueue,
        configStore: new ConfigStore(config),
        logger: ctx.logger,
        env: {},
        deliverer: delivery,
        workflowBundle: ctx.bundles.engine,
        maxCachedWorkflows: cache,
        tuning: { ...ctx.workerOptions.tuning, sinks: ctx.trackers.sinks() },
      });
      const running = workers.run();
      stop = async () => {
        workers.shutdown();
        await running;
      };
    },
    stop: async () => {
      await delivery.flush();
      await stop?.();
    },
  };
}

async function baselineColdTarget(ctx: BenchContext): Promise<ColdTarget> {
  const taskQueue = `bench-cold-b0-${randomUUID().slice(0, 8)}`;
  let stop: (() => Promise<void>) | undefined;
  return {
    name: 'B0',
    taskQueue,
    send: async (event) => {
      await ctx.client.workflow.signalWithStart('countingWorkflow', {
        workflowId: `${taskQueue}/${String((event.data as { teamId: string }).teamId)}`,
        taskQueue,
        signal: baselineEventSignal,
        signalArgs: [{ events: [event] }],
      });
    },
    restart: async (cache) => {
      await stop?.();
      const worker = await Worker.create({
        connection: ctx.nativeConnection,
        namespace: ctx.namespace,
        taskQueue,
        workflowBundle: ctx.bundles.baseline,
        activities: createBaselineActivities(() => undefined),
        sinks: ctx.trackers.sinks(),
        maxCachedWorkflows: cache,
        ...ctx.workerOptions.tuning,
      });
      const running = worker.run();
      stop = async () => {
        worker.shutdown();
        await running;
      };
    },
    stop: async () => {
      await stop?.();
    },
  };
}

interface ColdRun {
  target: string;
  buildSeconds: number;
  eventsPerSecond: number;
  p50: number;
  p99: number;
  /** Mean history length of the runs the probes met: what a cold event replays. */
  historyPerEvent: number;
}

/** Sends until Temporal takes it: on a saturated machine a signal may miss its deadline (ids dedupe a resend). */
async function sendDurably(target: ColdTarget, event: ReturnType<EventFactory['event']>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await target.send(event);
      return;
    } catch (err) {
      if (!(err instanceof EngineUnavailableError) || attempt >= 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

async function measure(ctx: BenchContext, target: ColdTarget, sizes: BenchSizes['cold']): Promise<ColdRun> {
  const tracker = ctx.trackers.track(target.taskQueue);
  const events = new EventFactory(`s8${target.taskQueue.slice(-6)}`);
  await target.restart(sizes.entities + 100);
  // A worker left running would hold the bench's connection open: stop it whatever happens.
  try {
    const t0 = performance.now();
    // Histories as real entities get them: one event per workflow task.
    await inPool(
      Array.from({ length: sizes.entities }, (_, i) => i),
      sizes.buildConcurrency,
      async (i) => {
        for (let n = 0; n < sizes.historyEvents; n++) {
          const event = events.event(i);
          await sendDurably(target, event);
          await tracker.processed(event.id);
        }
      },
    );
    const buildSeconds = (performance.now() - t0) / 1000;
    // Let compacting entities go idle and continue as new (idle time plus its spread).
    await new Promise((resolve) => setTimeout(resolve, 2_000 * 1.25 + 3_000));
    await target.restart(sizes.cache);

    const random = seededRandom(20261201);
    const picks = Array.from({ length: sizes.probes }, () => Math.floor(random() * sizes.entities));
    const latencies: number[] = [];
    const probed = new Set<number>();
    const t1 = performance.now();
    await inPool(picks, sizes.probeConcurrency, async (i) => {
      const event = events.event(i);
      const sent = performance.now();
      await sendDurably(target, event);
      await tracker.processed(event.id);
      latencies.push(performance.now() - sent);
      probed.add(i);
    });
    const eventsPerSecond = picks.length / ((performance.now() - t1) / 1000);
    const lengths: number[] = [];
    await inPool([...probed], 16, async (i) => {
      const id = target.name === 'B0' ? `${target.taskQueue}/${events.key(i)}` : `team/${events.key(i)}`;
      lengths.push((await ctx.client.workflow.getHandle(id).describe()).historyLength);
    });
    return {
      target: target.name,
      buildSeconds,
      eventsPerSecond,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      historyPerEvent: lengths.reduce((a, b) => a + b, 0) / Math.max(1, lengths.length),
    };
  } finally {
    await target.stop();
  }
}

/** Scenario 8. */
export async function runColdEntities(ctx: BenchContext, sizes: BenchSizes): Promise<ScenarioResult> {
  const s = sizes.cold;
  const runs: ColdRun[] = [];
  for (const make of [
    () => engineColdTarget(ctx, coldConfig(`{ whenIdle: ${COMPACT_IDLE}, minHistory: 20 }`), 'engine (compaction)'),
    () => engineColdTarget(ctx, coldConfig('false'), 'engine (no compaction)'),
    () => baselineColdTarget(ctx),
  ]) {
    runs.push(await measure(ctx, await make(), s));
  }
  const [compacted, uncompacted, b0] = runs as [ColdRun, ColdRun, ColdRun];
  const figures = runs.flatMap((r) => [
    figure(`${r.target}: cold events/s`, 'events/s', [r.eventsPerSecond]),
    figure(`${r.target}: cold p50`, 'ms', [r.p50]),
    figure(`${r.target}: cold p99`, 'ms', [r.p99]),
    figure(`${r.target}: history events replayed per cold event`, 'events', [r.historyPerEvent]),
    figure(`${r.target}: building the histories`, 's', [r.buildSeconds]),
  ]);
  return {
    id: 8,
    title: 'Cold entities: events to entities the worker does not cache',
    figures,
    ratios: [
      ratio('cold events/s, engine with compaction ÷ B0', [compacted.eventsPerSecond / b0.eventsPerSecond], {
        atLeast: 1,
      }),
      ratio('cold p99, engine with compaction ÷ without', [compacted.p99 / uncompacted.p99], { atMost: 1 }),
    ],
    parameters: { ...s, compactWhenIdle: COMPACT_IDLE },
    notes: [
      `Each entity got ${s.historyEvents} events one at a time; the worker was then restarted with a cache of ${s.cache} ` +
        `for ${s.entities} entities, and ${s.probes} events went to random entities, ${s.probeConcurrency} at a time.`,
      'History per cold event is the history length of the run each probed entity is in at the end: what a worker ' +
        'without it in cache replays.',
    ],
  };
}
