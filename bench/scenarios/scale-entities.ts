/**
 * Scenario 9: many entities, most of them cold. N entities (quick 2,000; full 100,000) are built once, each
 * with a few events one at a time, and left to go idle and compact; the Temporal server's database is then
 * kept (`~/.cache/treasure-hunt/bench-scale/<key>/`), so later runs start from a copy instead of building
 * again (a full build is half a million events). Each run then starts a dev server on a copy, a worker whose
 * cache holds `cache` entities, and measures in the same run:
 *   - warm: events to `cache` entities the worker holds;
 *   - cold: events to random entities among all N (nearly every one meets an entity the worker must replay);
 *   - a wave: `wave` entities woken within seconds, which then go idle and compact together (the cost of
 *     many entities going idle at once, and how the jitter spreads it);
 *   - the worker process's memory after each phase (the cache bounds it, not N).
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { EntityDelivery } from '../../src/client/delivery.js';
import { EngineUnavailableError } from '../../src/client/engine-unavailable-error.js';
import { TEMPORAL_SERVER_VERSION } from '../../src/cluster/cluster-binaries.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { startDevServer, type DevServer } from '../../src/dev/dev-server.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { ConfigStore } from '../../src/worker/config-store.js';
import { createEngineWorkers } from '../../src/worker/worker.js';
import { BENCH_EVENT_TYPE, BENCH_SOURCE } from '../bench-config.js';
import { coldConfig } from './cold-entities.js';
import { seededRandom } from '../bench-events.js';
import type { BenchSizes } from '../bench-options.js';
import { BENCH_DYNAMIC_CONFIG, freePort } from '../bench-server.js';
import { inPool } from '../load.js';
import { processCpuSeconds } from '../process-cpu.js';
import type { ProcessedTracker } from '../probe/processed-tracker.js';
import { figure, ratio, type ScenarioResult } from '../results-model.js';
import { percentile } from '../stats.js';
import type { BenchContext } from '../targets.js';

/** The task queue the built entities live on: fixed, because the cached histories name it. */
const TASK_QUEUE = 'bench-scale';
/** Idle time before an entity compacts, in this scenario's configuration (spread over a quarter of it). */
const COMPACT_IDLE_MS = 5_000;

/** Scenario 8's configuration with compaction after `COMPACT_IDLE_MS`; its text keys the cached build. */
const SCALE_COMPACTION = `{ whenIdle: ${COMPACT_IDLE_MS}ms, minHistory: 20 }`;
const scaleConfig = (): CompiledConfig => coldConfig(SCALE_COMPACTION);

type ScaleSizes = BenchSizes['scale'];

/** What building the entities cost, kept beside the cached database. */
interface BuildRecord {
  entities: number;
  historyEvents: number;
  builtAt: string;
  buildSeconds: number;
  /** From the last build event until every entity had compacted. */
  compactionTailSeconds: number;
  serverCpuSeconds: number;
}

const key = (i: number) => `sc-k${i}`;

function scaleEvent(i: number, id: string): EngineEvent {
  return {
    id,
    source: BENCH_SOURCE,
    type: BENCH_EVENT_TYPE,
    specversion: '1.0',
    data: { teamId: key(i), checkpoint: 'cp-1' },
  };
}

/** A dev server on `stateDir` with the bench's flags, its client and native connection. */
interface ScaleServer {
  server: DevServer;
  client: Client;
  native: NativeConnection;
  close(): Promise<void>;
}

async function openServer(ctx: BenchContext, stateDir: string): Promise<ScaleServer> {
  const server = await startDevServer({
    stateDir,
    port: await freePort(),
    uiPort: await freePort(),
    namespace: ctx.namespace,
    logger: ctx.logger,
    allowDownload: false,
    readyTimeoutMs: 120_000,
    dynamicConfig: BENCH_DYNAMIC_CONFIG,
  });
  const connection = await Connection.connect({ address: server.address });
  const native = await NativeConnection.connect({ address: server.address });
  return {
    server,
    client: new Client({ connection, namespace: ctx.namespace }),
    native,
    close: async () => {
      await native.close();
      await connection.close();
      await server.stop();
    },
  };
}

/** The engine's worker on this server with a cache of `cache` entities; resolves to its stop. */
async function startWorker(
  ctx: BenchContext,
  scale: ScaleServer,
  delivery: EntityDelivery,
  config: CompiledConfig,
  cache: number,
): Promise<() => Promise<void>> {
  const workers = await createEngineWorkers({
    connection: scale.native,
    namespace: ctx.namespace,
    taskQueue: TASK_QUEUE,
    configStore: new ConfigStore(config),
    logger: ctx.logger,
    env: {},
    deliverer: delivery,
    workflowBundle: ctx.bundles.engine,
    maxCachedWorkflows: cache,
    tuning: { ...ctx.workerOptions.tuning, sinks: ctx.trackers.sinks() },
  });
  const running = workers.run();
  return async () => {
    workers.shutdown();
    await running;
  };
}

/** Sends until Temporal takes it: on a saturated machine a signal may miss its deadline (ids dedupe a resend). */
async function sendDurably(delivery: EntityDelivery, event: EngineEvent): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await delivery.send([event]);
      return;
    } catch (err) {
      if (!(err instanceof EngineUnavailableError) || attempt >= 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

/** Runs closed by the engine's compaction (continued as new) on the scenario's task queue. */
async function compactedRuns(client: Client): Promise<number> {
  const { count } = await client.workflow.count(`TaskQueue="${TASK_QUEUE}" AND ExecutionStatus="ContinuedAsNew"`);
  return count;
}

/** Waits until `target` runs have continued as new, or `timeoutMs` passed; returns when it saw the last. */
async function waitForCompactions(client: Client, target: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const seen = await compactedRuns(client);
    if (seen >= target) return performance.now();
    if (performance.now() > deadline)
      throw new Error(`only ${seen} of ${target} entity runs compacted within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Builds the entities on a fresh database in `stateDir`: `historyEvents` each, one at a time, then all compacted. */
async function build(ctx: BenchContext, sizes: ScaleSizes, stateDir: string, log: (m: string) => void) {
  const config = scaleConfig();
  const scale = await openServer(ctx, stateDir);
  const delivery = new EntityDelivery({ client: scale.client, taskQueue: TASK_QUEUE, config });
  // Each sender builds one entity at a time: a cache of a few senders' worth keeps every build event warm.
  const stop = await startWorker(ctx, scale, delivery, config, sizes.buildConcurrency * 4);
  const tracker = ctx.trackers.track(TASK_QUEUE);
  const cpu0 = processCpuSeconds(scale.server.pid ?? -1) ?? 0;
  const t0 = performance.now();
  let built = 0;
  try {
    await inPool(
      Array.from({ length: sizes.entities }, (_, i) => i),
      sizes.buildConcurrency,
      async (i) => {
        for (let n = 0; n < sizes.historyEvents; n++) {
          const event = scaleEvent(i, `sc-build-${i}-${n}`);
          await sendDurably(delivery, event);
          await tracker.processed(event.id);
        }
        if (++built % Math.max(1, Math.round(sizes.entities / 10)) === 0)
          log(
            `  scenario 9: built ${built} of ${sizes.entities} entities (${Math.round((performance.now() - t0) / 1000)} s)`,
          );
      },
    );
    const builtAt = performance.now();
    const done = await waitForCompactions(scale.client, sizes.entities, 30 * 60_000);
    await delivery.flush();
    const record: BuildRecord = {
      entities: sizes.entities,
      historyEvents: sizes.historyEvents,
      builtAt: new Date().toISOString(),
      buildSeconds: (builtAt - t0) / 1000,
      compactionTailSeconds: (done - builtAt) / 1000,
      serverCpuSeconds: (processCpuSeconds(scale.server.pid ?? -1) ?? cpu0) - cpu0,
    };
    return record;
  } finally {
    await stop();
    await scale.close();
  }
}

/** The cache directory of a build of these sizes with this configuration and server. */
function buildKey(sizes: ScaleSizes): string {
  return createHash('sha256')
    .update(JSON.stringify([SCALE_COMPACTION, sizes.entities, sizes.historyEvents, TEMPORAL_SERVER_VERSION]))
    .digest('hex')
    .slice(0, 16);
}

/**
 * A state directory holding the built entities: a copy of the cached build (built first if there is none), or,
 * with `reuseBuild: false`, a fresh build in a temporary directory. Returns the directory and the build's record.
 */
async function builtState(
  ctx: BenchContext,
  sizes: ScaleSizes,
  log: (m: string) => void,
): Promise<{ stateDir: string; record: BuildRecord; reused: boolean }> {
  const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-bench-scale-'));
  if (!sizes.reuseBuild) return { stateDir, record: await build(ctx, sizes, stateDir, log), reused: false };

  const cacheDir = path.join(os.homedir(), '.cache', 'treasure-hunt', 'bench-scale', buildKey(sizes));
  const recordFile = path.join(cacheDir, 'build.json');
  let reused = true;
  if (!(await fs.stat(recordFile).catch(() => undefined))) {
    reused = false;
    log(`  scenario 9: building ${sizes.entities} entities once into ${cacheDir} (later runs copy it)`);
    const building = `${cacheDir}.building-${randomUUID().slice(0, 8)}`;
    await fs.mkdir(building, { recursive: true });
    const record = await build(ctx, sizes, building, log);
    await fs.writeFile(path.join(building, 'build.json'), `${JSON.stringify(record, null, 2)}\n`);
    await fs.rm(cacheDir, { recursive: true, force: true });
    await fs.rename(building, cacheDir);
  }
  // The database and its write-ahead log together are the state (a stopped server may leave frames in the WAL;
  // SQLite replays them when the copy is opened). The shared-memory index is rebuilt from the WAL.
  for (const file of ['temporal.db', 'temporal.db-wal']) {
    const from = path.join(cacheDir, file);
    if (await fs.stat(from).catch(() => undefined)) await fs.copyFile(from, path.join(stateDir, file));
  }
  const record = JSON.parse(await fs.readFile(recordFile, 'utf8')) as BuildRecord;
  return { stateDir, record, reused };
}

interface Phase {
  seconds: number;
  latencies: number[];
}

const eventsPerSecond = (...phases: Phase[]) =>
  phases.reduce((n, p) => n + p.latencies.length, 0) / phases.reduce((t, p) => t + p.seconds, 0);
const latencyAt = (q: number, ...phases: Phase[]) =>
  percentile(
    phases.flatMap((p) => p.latencies),
    q,
  );

/** Events to the entities `picks`, `concurrency` at a time, each awaited until handled. */
async function probe(
  delivery: EntityDelivery,
  tracker: ProcessedTracker,
  picks: number[],
  concurrency: number,
  tag: string,
): Promise<Phase> {
  const latencies: number[] = [];
  let n = 0;
  const t0 = performance.now();
  await inPool(picks, concurrency, async (i) => {
    const event = scaleEvent(i, `${tag}-${n++}`);
    const sent = performance.now();
    await sendDurably(delivery, event);
    await tracker.processed(event.id);
    latencies.push(performance.now() - sent);
  });
  return { seconds: (performance.now() - t0) / 1000, latencies };
}

const rssMB = () => process.memoryUsage().rss / 2 ** 20;

/** Scenario 9. */
export async function runScaleEntities(
  ctx: BenchContext,
  sizes: BenchSizes,
  log: (message: string) => void,
): Promise<ScenarioResult> {
  const s = sizes.scale;
  const { stateDir, record, reused } = await builtState(ctx, s, log);
  const config = scaleConfig();
  const scale = await openServer(ctx, stateDir);
  const delivery = new EntityDelivery({ client: scale.client, taskQueue: TASK_QUEUE, config });
  const stop = await startWorker(ctx, scale, delivery, config, s.cache);
  const tracker = ctx.trackers.track(TASK_QUEUE);
  const run = randomUUID().slice(0, 6);
  const random = seededRandom(20261201);
  const memory: number[] = [rssMB()];
  try {
    // Warm: `cache` entities, each touched once first so the worker holds them, then probed among themselves.
    const warmSet = Array.from({ length: s.cache }, (_, i) => i);
    await probe(delivery, tracker, warmSet, s.concurrency, `sc-${run}-touch`);
    const warmPicks = Array.from({ length: s.probes }, () => warmSet[Math.floor(random() * warmSet.length)]!);
    const warm = await probe(delivery, tracker, warmPicks, s.concurrency, `sc-${run}-warm`);
    memory.push(rssMB());

    // Cold: random entities among all of them, in two halves (memory after each).
    const coldPicks = Array.from({ length: s.probes }, () => Math.floor(random() * s.entities));
    const half = Math.floor(coldPicks.length / 2);
    const cold1 = await probe(delivery, tracker, coldPicks.slice(0, half), s.concurrency, `sc-${run}-cold1`);
    memory.push(rssMB());
    const cold2 = await probe(delivery, tracker, coldPicks.slice(half), s.concurrency, `sc-${run}-cold2`);
    memory.push(rssMB());
    const cold = {
      eventsPerSecond: eventsPerSecond(cold1, cold2),
      p50: latencyAt(50, cold1, cold2),
      p99: latencyAt(99, cold1, cold2),
    };
    const warmAt = { eventsPerSecond: eventsPerSecond(warm), p50: latencyAt(50, warm), p99: latencyAt(99, warm) };

    // What a cold event replays: the history length of the runs the cold probes met (a sample of them).
    const lengths: number[] = [];
    await inPool([...new Set(coldPicks)].slice(0, 50), 8, async (i) => {
      lengths.push((await scale.client.workflow.getHandle(`team/${key(i)}`).describe()).historyLength);
    });
    const historyPerColdEvent = lengths.reduce((a, b) => a + b, 0) / Math.max(1, lengths.length);

    // The wave: `wave` entities woken at once, then left to go idle and compact together. What it costs is read
    // from visibility (runs continued as new since the wave began) and the server's CPU over the same window.
    const waveSet = Array.from({ length: s.wave }, (_, i) => s.cache + i).filter((i) => i < s.entities);
    const waveBegan = new Date();
    const woken = await probe(delivery, tracker, waveSet, s.concurrency * 4, `sc-${run}-wave`);
    const cpu0 = processCpuSeconds(scale.server.pid ?? -1) ?? 0;
    const wokenAt = Date.now();
    // Idle time, its spread (a quarter of it) and a margin for the machine.
    await new Promise((resolve) => setTimeout(resolve, COMPACT_IDLE_MS * 1.25 + 10_000));
    const waveCpu = (processCpuSeconds(scale.server.pid ?? -1) ?? cpu0) - cpu0;
    let waveCompactions = 0;
    let lastClose = wokenAt;
    for await (const execution of scale.client.workflow.list({
      query: `TaskQueue="${TASK_QUEUE}" AND ExecutionStatus="ContinuedAsNew" AND CloseTime >= "${waveBegan.toISOString()}"`,
    })) {
      waveCompactions++;
      lastClose = Math.max(lastClose, execution.closeTime?.getTime() ?? wokenAt);
    }
    const waveSeconds = (lastClose - wokenAt) / 1000;
    memory.push(rssMB());

    const figures = [
      figure('entities', 'entities', [s.entities]),
      figure('worker cache', 'entities', [s.cache]),
      figure('warm events/s (entities in cache)', 'events/s', [warmAt.eventsPerSecond]),
      figure('warm p50', 'ms', [warmAt.p50]),
      figure('warm p99', 'ms', [warmAt.p99]),
      figure('cold events/s (random among all entities)', 'events/s', [cold.eventsPerSecond]),
      figure('cold p50', 'ms', [cold.p50]),
      figure('cold p99', 'ms', [cold.p99]),
      figure('history events replayed per cold event (a probed entity)', 'events', [historyPerColdEvent]),
      figure('worker process RSS after warm / cold half / cold / wave', 'MB', memory.slice(1)),
      figure('wave: entities woken at once', 'entities', [waveSet.length]),
      figure('wave: woken at', 'events/s', [eventsPerSecond(woken)]),
      figure('wave: entities compacted since it began', 'entities', [waveCompactions]),
      figure('wave: seconds from the last woken to the last compacted', 's', [waveSeconds]),
      figure('wave: server CPU per compaction (window after waking)', 'ms', [
        (1000 * waveCpu) / Math.max(1, waveCompactions),
      ]),
      figure('build: seconds (once, cached)', 's', [record.buildSeconds]),
      figure('build: compaction tail after the last build event', 's', [record.compactionTailSeconds]),
    ];
    return {
      id: 9,
      title: `Many entities: ${s.entities.toLocaleString('en')} entities, a worker cache of ${s.cache.toLocaleString('en')}`,
      figures,
      ratios: [
        ratio(
          'events/s, cold (all entities) ÷ warm (cached entities)',
          [cold.eventsPerSecond / warmAt.eventsPerSecond],
          {
            atLeast: 0.5,
          },
        ),
        ratio('p99, cold ÷ warm', [cold.p99 / warmAt.p99], { atMost: 3 }),
        ratio('worker RSS, after the wave ÷ after warm', [memory[memory.length - 1]! / memory[1]!], { atMost: 1.25 }),
      ],
      parameters: { ...s, compactWhenIdleMs: COMPACT_IDLE_MS, reusedBuild: reused, build: record },
      notes: [
        `${s.entities} entities were built with ${s.historyEvents} events each, one at a time, and compacted when idle ` +
          `(${reused ? 'a cached build was copied' : 'built in this run'}; building took ${record.buildSeconds.toFixed(0)} s).`,
        `Warm: ${s.probes} events to the ${s.cache} entities the worker holds; cold: ${s.probes} events to random entities ` +
          `among all ${s.entities}, ${s.concurrency} at a time, each awaited until handled.`,
        `Wave: ${waveSet.length} entities woken within seconds go idle together and compact over ` +
          `${COMPACT_IDLE_MS / 4} ms of jitter; the server CPU of the window after waking is divided by the compactions in ` +
          'it (probed entities whose runs grew past minHistory compact too).',
      ],
    };
  } finally {
    await delivery.flush();
    await stop();
    await scale.close();
    await fs.rm(stateDir, { recursive: true, force: true });
  }
}
