/**
 * The bench harness: starts its own Temporal dev server, bundles the engine's and the baselines'
 * workflows, runs the selected scenarios in order and returns every figure (run.ts prints and saves).
 */
import os from 'node:os';
import { createRequire } from 'node:module';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime } from '@temporalio/worker';
import pino, { type Logger } from 'pino';
import { startBenchCluster, startBenchServer, type BenchServer } from './bench-server.js';
import { BENCH_WORKER_OPTIONS, type BenchSizes } from './bench-options.js';
import { buildBenchBundles } from './bundles.js';
import { ProcessedTrackers } from './probe/processed-tracker.js';
import { RestateRuntime, restateVersions } from './restate/restate-server.js';
import type { BenchResults, ScenarioResult } from './results-model.js';
import { runColdEntities } from './scenarios/cold-entities.js';
import { runScaleEntities } from './scenarios/scale-entities.js';
import { runContinueAsNew } from './scenarios/continue-as-new.js';
import { runKafkaSource } from './scenarios/kafka-source.js';
import { runLatency } from './scenarios/latency.js';
import { runMemory } from './scenarios/memory.js';
import { runReplay } from './scenarios/replay.js';
import { runRuleEvaluation } from './scenarios/rule-evaluation.js';
import { runHotEntities, runManyEntities } from './scenarios/throughput.js';
import type { BenchContext } from './targets.js';

export interface HarnessOptions {
  mode: BenchResults['mode'];
  sizes: BenchSizes;
  /** Scenario numbers to run (default all, 1–10). */
  only?: number[];
  /** Progress lines (stderr by default). */
  log?: (message: string) => void;
  /** Run on a local cluster (PostgreSQL, 4 history shards) instead of the dev server. */
  cluster?: boolean;
  /** Called with the results so far after each scenario (run.ts saves them, so a crash keeps them). */
  onProgress?: (partial: BenchResults) => Promise<void>;
  /** The engine's logger in every scenario (warnings and errors to stdout by default). */
  logger?: Logger;
}

type Scenario = (ctx: BenchContext, sizes: BenchSizes, log: (message: string) => void) => Promise<ScenarioResult>;

const SCENARIOS: Record<number, Scenario> = {
  1: runManyEntities,
  2: runHotEntities,
  3: runLatency,
  4: runContinueAsNew,
  5: runMemory,
  6: runReplay,
  7: (_ctx, sizes) => runRuleEvaluation(sizes),
  8: runColdEntities,
  9: runScaleEntities,
  10: runKafkaSource,
};

const require = createRequire(import.meta.url);

function versions(): Record<string, string> {
  const of = (name: string) => (require(`${name}/package.json`) as { version: string }).version;
  return {
    node: process.version,
    '@temporalio/worker': of('@temporalio/worker'),
    '@temporalio/client': of('@temporalio/client'),
    ...restateVersions(),
    engine: (require('../package.json') as { version: string }).version,
  };
}

/** What every bench entry point shares: its own dev server, the bundles, connections and the context. */
export interface OpenedBench {
  ctx: BenchContext;
  server: BenchServer;
  close: () => Promise<void>;
}

/** Starts the bench's dev server (or cluster), bundles the workflows and connects (the runtime logs errors only). */
export async function openBenchContext(options: { cluster?: boolean; logger?: Logger } = {}): Promise<OpenedBench> {
  const logger = options.logger ?? pino({ level: 'warn' });
  // Core warns about slow workflow tasks when the bench saturates the machine on purpose: keep errors only.
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
  });
  const server = options.cluster ? await startBenchCluster() : await startBenchServer(logger);
  const bundles = await buildBenchBundles();
  const connection = await Connection.connect({ address: server.address });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const ctx: BenchContext = {
    address: server.address,
    client: new Client({ connection }),
    nativeConnection,
    namespace: 'default',
    bundles,
    trackers: new ProcessedTrackers(),
    logger,
    workerOptions: BENCH_WORKER_OPTIONS,
    ...(server.pid !== undefined && { serverPid: server.pid }),
    restate: new RestateRuntime(logger),
  };
  return {
    ctx,
    server,
    close: async () => {
      await ctx.restate.stop();
      await nativeConnection.close();
      await connection.close();
      await bundles.remove();
      await server.stop();
    },
  };
}

/** The scenarios that run Restate beside the engine. */
const RESTATE_SCENARIOS = new Set([1, 2, 3]);

/** Runs the bench; throws if the server, the bundles or a scenario fails. */
export async function runBench(options: HarnessOptions): Promise<BenchResults> {
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const started = Date.now();
  const only = options.only ?? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

  log(
    `starting a Temporal ${options.cluster ? 'cluster (PostgreSQL, 4 history shards)' : 'dev server'} and bundling workflows…`,
  );
  const { ctx, server, close } = await openBenchContext({
    ...(options.cluster && { cluster: true }),
    ...(options.logger && { logger: options.logger }),
  });
  const scenarios: ScenarioResult[] = [];
  let failed = false;
  try {
    for (const [index, id] of only.entries()) {
      const scenario = SCENARIOS[id];
      if (!scenario) throw new Error(`there is no scenario ${id}; scenarios are 1–10`);
      const t0 = Date.now();
      log(`scenario ${id}…`);
      scenarios.push(await scenario(ctx, options.sizes, log));
      log(`scenario ${id} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      // An idle Restate server still takes a few % of a core: it stops once no later scenario needs it.
      if (!only.slice(index + 1).some((later) => RESTATE_SCENARIOS.has(later))) await ctx.restate.stop();
      await options.onProgress?.(summary(options.mode, started, server.flags, ctx.restate, scenarios));
    }
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    // A failed scenario's error is the one to see: a close that fails after it is only logged.
    await close().catch((closing: unknown) => {
      if (!failed) throw closing;
      log(`closing the bench after the failure also failed: ${String(closing)}`);
    });
  }
  return summary(options.mode, started, server.flags, ctx.restate, scenarios);
}

function summary(
  mode: BenchResults['mode'],
  started: number,
  flags: string[],
  restate: RestateRuntime,
  scenarios: ScenarioResult[],
): BenchResults {
  const restateInfo = restate.info();
  const cpus = os.cpus();
  return {
    startedAt: new Date(started).toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    mode,
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model ?? 'unknown',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      platform: `${os.platform()} ${os.release()}`,
      node: process.version,
    },
    versions: versions(),
    server: { flags, ...(restateInfo && { restate: restateInfo }) },
    workerOptions: BENCH_WORKER_OPTIONS,
    scenarios: [...scenarios],
  };
}
