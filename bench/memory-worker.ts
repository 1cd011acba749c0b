/**
 * Child process for scenario 5: one worker (the engine's or B0's) alone in its process, so its RSS can
 * be read without the load generator's. Driven over IPC: `measure` → { rss, processed, cached }, `stop`.
 * Started by scenarios/memory.ts with `--import tsx --expose-gc`.
 */
import { NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import pino from 'pino';
import { createEngineWorkers } from '../src/worker/worker.js';
import { ConfigStore } from '../src/worker/config-store.js';
import { createBaselineActivities } from './baselines/baseline-activities.js';
import { benchConfig } from './bench-config.js';
import { ProcessedTrackers } from './probe/processed-tracker.js';

export interface MemoryWorkerInput {
  kind: 'engine' | 'B0';
  address: string;
  namespace: string;
  taskQueue: string;
  codePath: string;
  maxCachedWorkflows: number;
}

export interface MemoryReading {
  rss: number;
  processed: number;
  cached: number;
}

const input = JSON.parse(process.argv[2] ?? '{}') as MemoryWorkerInput;
Runtime.install({ logger: new DefaultLogger('ERROR') });
const connection = await NativeConnection.connect({ address: input.address });
const trackers = new ProcessedTrackers();
const tracker = trackers.track(input.taskQueue);
let worker: Worker;
if (input.kind === 'engine') {
  const engine = await createEngineWorkers({
    connection,
    namespace: input.namespace,
    taskQueue: input.taskQueue,
    configStore: new ConfigStore(benchConfig({ withAction: false })),
    logger: pino({ level: 'warn' }),
    env: {},
    deliverer: { send: async () => [] },
    workflowBundle: { codePath: input.codePath },
    maxCachedWorkflows: input.maxCachedWorkflows,
    tuning: { sinks: trackers.sinks() },
  });
  worker = engine.workers[0]!;
} else {
  worker = await Worker.create({
    connection,
    namespace: input.namespace,
    taskQueue: input.taskQueue,
    workflowBundle: { codePath: input.codePath },
    activities: createBaselineActivities(() => undefined),
    sinks: trackers.sinks(),
    maxCachedWorkflows: input.maxCachedWorkflows,
  });
}
const running = worker.run();

const gc = (globalThis as { gc?: () => void }).gc;
process.on('message', (message: { type: 'measure' | 'stop' }) => {
  if (message.type === 'stop') {
    worker.shutdown();
    void running.then(() => connection.close()).then(() => process.exit(0));
    return;
  }
  gc?.();
  gc?.();
  setTimeout(() => {
    const reading: MemoryReading = {
      rss: process.memoryUsage().rss,
      processed: tracker.count,
      cached: worker.getStatus().numCachedWorkflows,
    };
    process.send?.(reading);
  }, 200);
});
process.send?.({ ready: true });
