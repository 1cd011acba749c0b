/**
 * Scenario 5: worker memory per 1,000 cached idle entities. Each worker (engine, B0) runs alone in a
 * child process; the bench starts entities in steps (one event each, then idle), reads the child's RSS
 * after a GC at each step, and fits a line: MB per 1,000 entities, engine ÷ B0.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { EntityDelivery } from '../../src/client/delivery.js';
import { baselineEventSignal } from '../baselines/baseline-workflows.js';
import { benchConfig } from '../bench-config.js';
import { EventFactory } from '../bench-events.js';
import type { BenchSizes } from '../bench-options.js';
import type { MemoryReading, MemoryWorkerInput } from '../memory-worker.js';
import { figure, ratio, type ScenarioResult } from '../results-model.js';
import { round, slope } from '../stats.js';
import { engineSettled, type BenchContext } from '../targets.js';

const childPath = fileURLToPath(new URL('../memory-worker.ts', import.meta.url));
const SEND_CONCURRENCY = 32;

function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the memory worker exited (code ${code})`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message as T);
    });
  });
}

async function reading(child: ChildProcess, processed: number): Promise<MemoryReading> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    child.send({ type: 'measure' });
    const r = await nextMessage<MemoryReading>(child);
    if (r.processed >= processed) return r;
    if (Date.now() > deadline) throw new Error(`the memory worker processed ${r.processed} of ${processed} events`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** RSS (bytes) at each step for one kind of worker. */
async function measureKind(
  ctx: BenchContext,
  kind: MemoryWorkerInput['kind'],
  steps: number[],
): Promise<Array<{ x: number; y: number }>> {
  const taskQueue = `bench-mem-${kind.toLowerCase()}-${randomUUID().slice(0, 8)}`;
  const input: MemoryWorkerInput = {
    kind,
    address: ctx.address,
    namespace: ctx.namespace,
    taskQueue,
    codePath: kind === 'engine' ? ctx.bundles.engine.codePath : ctx.bundles.baseline.codePath,
    maxCachedWorkflows: Math.max(...steps) + 1_000,
  };
  const child = fork(childPath, [JSON.stringify(input)], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const config = benchConfig({ withAction: false });
  const delivery = new EntityDelivery({ client: ctx.client, taskQueue, config });
  const events = new EventFactory(`s5${kind}${taskQueue.slice(-4)}`);
  const send = async (i: number) => {
    const event = events.event(i);
    if (kind === 'engine') await delivery.send([event]);
    else {
      await ctx.client.workflow.signalWithStart('countingWorkflow', {
        workflowId: `${taskQueue}/${events.key(i)}`,
        taskQueue,
        signal: baselineEventSignal,
        signalArgs: [{ events: [event] }],
      });
    }
  };
  const points: Array<{ x: number; y: number }> = [];
  try {
    await nextMessage(child);
    let started = 0;
    for (const step of steps) {
      let next = started;
      await Promise.all(
        Array.from({ length: SEND_CONCURRENCY }, async () => {
          while (next < step) await send(next++);
        }),
      );
      // The probe reports an event when the handler queued it; wait until the entities are fully started.
      if (kind === 'engine') {
        await engineSettled(
          ctx.client,
          config,
          Array.from({ length: step - started }, (_, i) => events.key(started + i)),
        );
      }
      started = step;
      const r = await reading(child, step);
      points.push({ x: step, y: r.rss });
    }
  } finally {
    child.send({ type: 'stop' });
    await new Promise((resolve) => child.once('exit', resolve));
  }
  return points;
}

/** Scenario 5. */
export async function runMemory(ctx: BenchContext, sizes: BenchSizes): Promise<ScenarioResult> {
  const { steps } = sizes.memory;
  const b0 = await measureKind(ctx, 'B0', steps);
  const engine = await measureKind(ctx, 'engine', steps);
  const mbPer1000 = (points: Array<{ x: number; y: number }>) => (slope(points) * 1_000) / 2 ** 20;
  const b0Slope = mbPer1000(b0);
  const engineSlope = mbPer1000(engine);
  const mb = (points: Array<{ x: number; y: number }>) => points.map((p) => `${p.x}: ${round(p.y / 2 ** 20)} MB`);
  return {
    id: 5,
    title: 'worker memory per 1,000 cached idle entities',
    parameters: { steps },
    figures: [figure('B0 RSS slope', 'MB/1k', [b0Slope]), figure('engine RSS slope', 'MB/1k', [engineSlope])],
    ratios: [ratio('engine ÷ B0', [engineSlope / b0Slope], { atMost: 1.5 })],
    notes: [`B0 RSS ${mb(b0).join(', ')}`, `engine RSS ${mb(engine).join(', ')}`],
  };
}
