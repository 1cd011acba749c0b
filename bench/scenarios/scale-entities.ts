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
import { BENCH_DYNAMIC_CONFIG, startOnFreePorts } from '../bench-server.js';
import { inPool } from '../load.js';
import { ownCpuSeconds, processCpuSeconds } from '../process-cpu.js';
import type { ProcessedTracker } from '../probe/processed-tracker.js';
import { figure, ratio, type ScenarioResult } from '../results-model.js';
import { percentile } from '../stats.js';
import type { BenchContext } from '../targets.js';

/** The task queue the built entities live on: fixed, because the cached histories name it. */
const TASK_QUEUE = 'bench-scale';
/**
 * Idle time before an entity compacts, in this scenario's configuration (spread over a quarter of it): longer
 * than the gap between two events to a warm entity, so that the warm phase measures cached runs, not runs that
 * compact between their events.
 */
const COMPACT_IDLE_MS = 30_000;
/**
 * Events to each entity of the wave: a compacted run starts with 7 history events and an event adds about 4,
 * so an entity passes `minHistory` (20) and compacts again after 4 events, not after one.
 */
const WAVE_EVENTS = 4;
/** How long the server's idle load is sampled before the wave. */
const IDLE_SAMPLE_MS = 5_000;

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
  /** Bench runs the build took (a build with `--build-minutes` may stop and go on later). */
  runs?: number;
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
  const { server } = await startOnFreePorts((ports) =>
    startDevServer({
      stateDir,
      ...ports,
      namespace: ctx.namespace,
      logger: ctx.logger,
      allowDownload: false,
      readyTimeoutMs: 120_000,
      dynamicConfig: BENCH_DYNAMIC_CONFIG,
    }),
  );
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

/** Runs closed by the engine's compaction (continued as new) on the scenario's task queue, since `since` if given. */
async function compactedRuns(client: Client, since?: Date): Promise<number> {
  const closed = since === undefined ? '' : ` AND CloseTime >= "${since.toISOString()}"`;
  const { count } = await client.workflow.count(
    `TaskQueue="${TASK_QUEUE}" AND ExecutionStatus="ContinuedAsNew"${closed}`,
  );
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

/**
 * Waits until the runs that went idle by now have compacted: the longest idle time with its spread and a
 * margin, then until the count of runs compacted since `since` stops growing. Returns how many did and the
 * seconds it took.
 */
async function waitForIdleCompactions(client: Client, since: Date): Promise<{ compacted: number; seconds: number }> {
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, COMPACT_IDLE_MS * 1.25 + 2_000));
  let last = await compactedRuns(client, since);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const now = await compactedRuns(client, since);
    if (now === last) return { compacted: now, seconds: (performance.now() - t0) / 1000 };
    last = now;
  }
}

/** How far a build has gone, kept in its directory so that a stopped build goes on where it stopped. */
interface BuildProgress {
  entities: number;
  historyEvents: number;
  /** Every entity below this index has all its events handled. */
  next: number;
  /** Build time and server CPU summed over the runs that built it. */
  buildSeconds: number;
  serverCpuSeconds: number;
  runs: number;
}

const PROGRESS_FILE = 'progress.json';

async function readProgress(dir: string, sizes: ScaleSizes): Promise<BuildProgress> {
  const fresh: BuildProgress = {
    entities: sizes.entities,
    historyEvents: sizes.historyEvents,
    next: 0,
    buildSeconds: 0,
    serverCpuSeconds: 0,
    runs: 0,
  };
  try {
    const saved = JSON.parse(await fs.readFile(path.join(dir, PROGRESS_FILE), 'utf8')) as BuildProgress;
    return saved.entities === sizes.entities && saved.historyEvents === sizes.historyEvents ? saved : fresh;
  } catch {
    return fresh;
  }
}

async function writeProgress(dir: string, progress: BuildProgress): Promise<void> {
  const partial = path.join(dir, `${PROGRESS_FILE}.${process.pid}.tmp`);
  await fs.writeFile(partial, `${JSON.stringify(progress, null, 2)}\n`);
  await fs.rename(partial, path.join(dir, PROGRESS_FILE));
}

/**
 * Builds the entities into `stateDir`: `historyEvents` each, one at a time, then all compacted. A build with
 * `buildMinutes` stops taking entities once they have passed, and a build that stopped (or crashed) goes on
 * from its progress file the next time: entities are built in order, the progress names the first one not yet
 * complete, and the events have fixed ids, so an entity built twice dedupes its events. Returns the record once
 * complete.
 */
async function build(
  ctx: BenchContext,
  sizes: ScaleSizes,
  stateDir: string,
  log: (m: string) => void,
): Promise<{ complete: true; record: BuildRecord } | { complete: false; progress: BuildProgress }> {
  const config = scaleConfig();
  const progress = await readProgress(stateDir, sizes);
  if (progress.next > 0) log(`  scenario 9: going on with the build from entity ${progress.next} of ${sizes.entities}`);
  const scale = await openServer(ctx, stateDir);
  const delivery = new EntityDelivery({ client: scale.client, taskQueue: TASK_QUEUE, config });
  // Each sender builds one entity at a time: a cache of a few senders' worth keeps every build event warm.
  const stop = await startWorker(ctx, scale, delivery, config, sizes.buildConcurrency * 4);
  const tracker = ctx.trackers.track(TASK_QUEUE);
  const cpu0 = processCpuSeconds(scale.server.pid ?? -1) ?? 0;
  const t0 = performance.now();
  // `buildMinutes` counts from here: the server and the worker are up.
  const deadline = sizes.buildMinutes === undefined ? Infinity : t0 + sizes.buildMinutes * 60_000;
  const saved = { ...progress };
  const spent = () => ({
    buildSeconds: saved.buildSeconds + (performance.now() - t0) / 1000,
    serverCpuSeconds: saved.serverCpuSeconds + ((processCpuSeconds(scale.server.pid ?? -1) ?? cpu0) - cpu0),
  });
  const done = new Set<number>();
  let next = progress.next;
  let taken = progress.next;
  let lastSaved = performance.now();
  let logged = next;
  try {
    await Promise.all(
      Array.from({ length: sizes.buildConcurrency }, async () => {
        while (taken < sizes.entities && performance.now() < deadline) {
          const i = taken++;
          for (let n = 0; n < sizes.historyEvents; n++) {
            const event = scaleEvent(i, `sc-build-${i}-${n}`);
            await sendDurably(delivery, event);
            await tracker.processed(event.id);
          }
          done.add(i);
          while (done.delete(next)) next++;
          const step = Math.max(1, Math.round(sizes.entities / 20));
          if (Math.floor(next / step) > Math.floor(logged / step)) {
            logged = next;
            log(`  scenario 9: built ${next} of ${sizes.entities} entities (${Math.round(spent().buildSeconds)} s)`);
          }
          if (performance.now() - lastSaved > 10_000) {
            lastSaved = performance.now();
            await writeProgress(stateDir, { ...progress, next, ...spent(), runs: saved.runs + 1 });
          }
        }
      }),
    );
    const built = { ...progress, next, ...spent(), runs: saved.runs + 1 };
    await writeProgress(stateDir, built);
    if (next < sizes.entities) return { complete: false, progress: built };
    const builtAt = performance.now();
    const compacted = await waitForCompactions(scale.client, sizes.entities, 30 * 60_000);
    await delivery.flush();
    const record: BuildRecord = {
      entities: sizes.entities,
      historyEvents: sizes.historyEvents,
      builtAt: new Date().toISOString(),
      buildSeconds: built.buildSeconds,
      compactionTailSeconds: (compacted - builtAt) / 1000,
      serverCpuSeconds: spent().serverCpuSeconds,
      runs: built.runs,
    };
    return { complete: true, record };
  } finally {
    await stop();
    await scale.close();
  }
}

/**
 * The cache directory of a build of these sizes with this configuration, server and workflow code: the built
 * runs are what the workflow code made of them (a change of how a run starts changes what a cold event
 * replays), so a change of the code builds again.
 */
async function buildKey(ctx: BenchContext, sizes: ScaleSizes): Promise<string> {
  const code = await fs.readFile(ctx.bundles.engine.codePath);
  return createHash('sha256')
    .update(JSON.stringify([SCALE_COMPACTION, sizes.entities, sizes.historyEvents, TEMPORAL_SERVER_VERSION]))
    .update(code)
    .digest('hex')
    .slice(0, 16);
}

/**
 * A state directory holding the built entities: a copy of the cached build (built first if there is none, or
 * gone on with if a build stopped), or, with `reuseBuild: false`, a fresh build in a temporary directory. A build
 * that passes `buildMinutes` stops, keeping its progress: the result says how far it got.
 */
export async function builtState(
  ctx: BenchContext,
  sizes: ScaleSizes,
  log: (m: string) => void,
  root = path.join(os.homedir(), '.cache', 'treasure-hunt', 'bench-scale'),
): Promise<
  | { complete: true; stateDir: string; record: BuildRecord; reused: boolean }
  | { complete: false; progress: BuildProgress; building: string }
> {
  if (!sizes.reuseBuild) {
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-bench-scale-'));
    const built = await build(ctx, sizes, stateDir, log);
    if (!built.complete) {
      await fs.rm(stateDir, { recursive: true, force: true });
      return { complete: false, progress: built.progress, building: stateDir };
    }
    return { complete: true, stateDir, record: built.record, reused: false };
  }

  const cacheDir = path.join(root, await buildKey(ctx, sizes));
  const recordFile = path.join(cacheDir, 'build.json');
  let reused = true;
  if (!(await fs.stat(recordFile).catch(() => undefined))) {
    reused = false;
    const building = `${cacheDir}.building`;
    await fs.mkdir(building, { recursive: true });
    const release = await lockBuild(building);
    try {
      log(`  scenario 9: building ${sizes.entities} entities into ${building} (once; later runs copy the result)`);
      const built = await build(ctx, sizes, building, log);
      if (!built.complete) return { complete: false, progress: built.progress, building };
      await fs.writeFile(path.join(building, 'build.json'), `${JSON.stringify(built.record, null, 2)}\n`);
    } finally {
      await release();
    }
    await fs.rm(path.join(building, 'lock'), { force: true });
    await fs.rm(cacheDir, { recursive: true, force: true });
    await fs.rename(building, cacheDir);
  }
  const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-bench-scale-'));
  // The database and its write-ahead log together are the state (a stopped server may leave frames in the WAL;
  // SQLite replays them when the copy is opened). The shared-memory index is rebuilt from the WAL.
  for (const file of ['temporal.db', 'temporal.db-wal']) {
    const from = path.join(cacheDir, file);
    if (await fs.stat(from).catch(() => undefined)) await fs.copyFile(from, path.join(stateDir, file));
  }
  const record = JSON.parse(await fs.readFile(recordFile, 'utf8')) as BuildRecord;
  return { complete: true, stateDir, record, reused };
}

/** One bench run builds in a directory at a time: a second one is refused while the first one's process lives. */
async function lockBuild(dir: string): Promise<() => Promise<void>> {
  const lock = path.join(dir, 'lock');
  const holder = Number(await fs.readFile(lock, 'utf8').catch(() => ''));
  if (holder > 0 && holder !== process.pid && processAlive(holder))
    throw new Error(`scenario 9: process ${holder} is building in ${dir}; wait for it or stop it`);
  await fs.writeFile(lock, String(process.pid));
  return () => fs.rm(lock, { force: true });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Phase {
  seconds: number;
  latencies: number[];
  /** CPU seconds over the phase: this process (bench client, the worker and its SDK core) and the server. */
  cpu: { own: number; server: number };
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
  serverPid: number,
  picks: number[],
  concurrency: number,
  tag: string,
): Promise<Phase> {
  const latencies: number[] = [];
  let n = 0;
  const own0 = ownCpuSeconds();
  const server0 = processCpuSeconds(serverPid) ?? 0;
  const t0 = performance.now();
  await inPool(picks, concurrency, async (i) => {
    const event = scaleEvent(i, `${tag}-${n++}`);
    const sent = performance.now();
    await sendDurably(delivery, event);
    await tracker.processed(event.id);
    latencies.push(performance.now() - sent);
  });
  return {
    seconds: (performance.now() - t0) / 1000,
    latencies,
    cpu: { own: ownCpuSeconds() - own0, server: (processCpuSeconds(serverPid) ?? server0) - server0 },
  };
}

/** Milliseconds of CPU per event over `phases`, of this process or of the server. */
function cpuPerEvent(side: keyof Phase['cpu'], ...phases: Phase[]): number {
  const events = phases.reduce((n, p) => n + p.latencies.length, 0);
  return (1000 * phases.reduce((t, p) => t + p.cpu[side], 0)) / Math.max(1, events);
}

const rssMB = () => process.memoryUsage().rss / 2 ** 20;

/** Scenario 9 when its build stopped at `--build-minutes`: how far it got, and no verdict. */
function incompleteBuild(s: ScaleSizes, progress: BuildProgress, building: string): ScenarioResult {
  const events = progress.next * s.historyEvents;
  const perSecond = events / Math.max(1, progress.buildSeconds);
  const remaining = ((s.entities - progress.next) * s.historyEvents) / Math.max(perSecond, 1e-9);
  return {
    id: 9,
    title: `Many entities: ${s.entities.toLocaleString('en')} entities (build not complete)`,
    figures: [
      figure('build: entities built so far', 'entities', [progress.next]),
      figure('build: seconds so far', 's', [progress.buildSeconds]),
      figure('build: events/s', 'events/s', [perSecond]),
      figure('build: seconds still needed at that rate', 's', [remaining]),
    ],
    ratios: [],
    parameters: { ...s, compactWhenIdleMs: COMPACT_IDLE_MS, progress },
    notes: [
      `The build stopped at --build-minutes with ${progress.next} of ${s.entities} entities built (${progress.runs} ` +
        `run(s), ${progress.buildSeconds.toFixed(0)} s). It is kept in ${building}; the next run of scenario 9 goes on ` +
        'from there. No figure of the measured part, and no verdict, until it is complete.',
    ],
  };
}

/** Scenario 9. */
export async function runScaleEntities(
  ctx: BenchContext,
  sizes: BenchSizes,
  log: (message: string) => void,
): Promise<ScenarioResult> {
  const s = sizes.scale;
  const state = await builtState(ctx, s, log);
  if (!state.complete) return incompleteBuild(s, state.progress, state.building);
  const { stateDir, record, reused } = state;
  const config = scaleConfig();
  const scale = await openServer(ctx, stateDir);
  const delivery = new EntityDelivery({ client: scale.client, taskQueue: TASK_QUEUE, config });
  const stop = await startWorker(ctx, scale, delivery, config, s.cache);
  const tracker = ctx.trackers.track(TASK_QUEUE);
  const run = randomUUID().slice(0, 6);
  const random = seededRandom(20261201);
  const memory: number[] = [rssMB()];
  const serverPid = scale.server.pid ?? -1;
  try {
    // Warm: `cache` entities, each touched once first so the worker holds them, then probed among themselves.
    const warmSet = Array.from({ length: s.cache }, (_, i) => i);
    const warmBegan = new Date();
    await probe(delivery, tracker, serverPid, warmSet, s.concurrency, `sc-${run}-touch`);
    const warmPicks = Array.from({ length: s.probes }, () => warmSet[Math.floor(random() * warmSet.length)]!);
    const warm = await probe(delivery, tracker, serverPid, warmPicks, s.concurrency, `sc-${run}-warm`);
    memory.push(rssMB());

    // The warm entities' runs grew past `minHistory`, so they compact once idle: all of them within the jitter,
    // 30–37.5 s after the warm phase. Left to happen in the cold phase (which lasts longer than that at the full
    // size), that burst of `cache` compactions queued the cold events behind it (p99 2.4 s among 10,000
    // entities). It is the wave's cost, measured below; the cold phase measures cold events alone.
    const settled = await waitForIdleCompactions(scale.client, warmBegan);

    // Cold: random entities among all of them, in two halves (memory after each).
    const coldPicks = Array.from({ length: s.probes }, () => Math.floor(random() * s.entities));
    const half = Math.floor(coldPicks.length / 2);
    const cold1 = await probe(delivery, tracker, serverPid, coldPicks.slice(0, half), s.concurrency, `sc-${run}-cold1`);
    memory.push(rssMB());
    const cold2 = await probe(delivery, tracker, serverPid, coldPicks.slice(half), s.concurrency, `sc-${run}-cold2`);
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
    // The server's own load with nothing sent (its timers and pollers), subtracted from the wave's window.
    const idleCpu0 = processCpuSeconds(scale.server.pid ?? -1) ?? 0;
    await new Promise((resolve) => setTimeout(resolve, IDLE_SAMPLE_MS));
    const idleCores = ((processCpuSeconds(scale.server.pid ?? -1) ?? idleCpu0) - idleCpu0) / (IDLE_SAMPLE_MS / 1000);
    const waveBegan = new Date();
    const wavePicks = Array.from({ length: WAVE_EVENTS }, () => waveSet).flat();
    const woken = await probe(delivery, tracker, serverPid, wavePicks, s.concurrency * 4, `sc-${run}-wave`);
    const cpu0 = processCpuSeconds(scale.server.pid ?? -1) ?? 0;
    const wokenAt = Date.now();
    // Idle time, its spread (a quarter of it) and a margin for the machine.
    const windowMs = COMPACT_IDLE_MS * 1.25 + 10_000;
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const waveCpu = Math.max(
      0,
      (processCpuSeconds(scale.server.pid ?? -1) ?? cpu0) - cpu0 - (idleCores * windowMs) / 1000,
    );
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
      figure('warm entities compacted before the cold phase (waited for)', 'entities', [settled.compacted]),
      figure('wait for them', 's', [settled.seconds]),
      figure('cold events/s (random among all entities)', 'events/s', [cold.eventsPerSecond]),
      figure('cold p50', 'ms', [cold.p50]),
      figure('cold p99', 'ms', [cold.p99]),
      figure('history events replayed per cold event (a probed entity)', 'events', [historyPerColdEvent]),
      figure('bench process CPU per warm event (client, worker, SDK core)', 'ms', [cpuPerEvent('own', warm)]),
      figure('server CPU per warm event', 'ms', [cpuPerEvent('server', warm)]),
      figure('bench process CPU per cold event (client, worker, SDK core)', 'ms', [cpuPerEvent('own', cold1, cold2)]),
      figure('server CPU per cold event', 'ms', [cpuPerEvent('server', cold1, cold2)]),
      figure('worker process RSS after warm / cold half / cold / wave', 'MB', memory.slice(1)),
      figure('wave: entities woken at once', 'entities', [waveSet.length]),
      figure('wave: events to each', 'events', [WAVE_EVENTS]),
      figure('wave: woken at', 'events/s', [eventsPerSecond(woken)]),
      figure('wave: entities compacted since it began', 'entities', [waveCompactions]),
      figure('wave: seconds from the last woken to the last compacted', 's', [waveSeconds]),
      figure('server CPU when idle', 'cores', [idleCores]),
      figure('wave: server CPU per compaction (window after waking, idle load subtracted)', 'ms', [
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
        `Between the two, ${settled.compacted} runs compacted (the warm entities, idle once the warm phase ended): the ` +
          `cold phase began once they had (${settled.seconds.toFixed(0)} s), so that it measures cold events alone.`,
        `Wave: ${waveSet.length} entities, ${WAVE_EVENTS} events each within seconds, go idle together and compact over ` +
          `${COMPACT_IDLE_MS / 4} ms of jitter; the server CPU of the window after waking, less its idle load, is divided by the compactions in ` +
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
