/**
 * Sizes of every scenario for the full and the quick run, and the worker options every target
 * (engine and baselines alike) runs with.
 */
import type { WorkerOptions } from '@temporalio/worker';

export interface BenchWorkerOptions {
  maxCachedWorkflows: number;
  tuning: Partial<
    Pick<
      WorkerOptions,
      | 'maxConcurrentWorkflowTaskExecutions'
      | 'maxConcurrentActivityTaskExecutions'
      | 'maxConcurrentWorkflowTaskPolls'
      | 'maxConcurrentActivityTaskPolls'
    >
  >;
}

export interface BenchSizes {
  repeats: number;
  /** durationMs: load per target and repeat, given in `slices` turns. */
  throughput: { keys: number; concurrency: number; durationMs: number; slices: number };
  hot: { keys: number; senders: number; burst: number; durationMs: number };
  latency: { keys: number; probeMs: number; durationMs: number; concurrency: number };
  continueAsNew: { events: number; baselineEvents: number; concurrency: number; window: number };
  memory: { steps: number[] };
  replay: { historyLength: number; repeats: number };
  rules: { repeats: number };
  /** Scenario 8: entities built with `historyEvents` each, then probed cold with a cache of `cache`. */
  cold: {
    entities: number;
    historyEvents: number;
    buildConcurrency: number;
    cache: number;
    probes: number;
    probeConcurrency: number;
  };
  /**
   * Scenario 9: `entities` built once with `historyEvents` each (the server's database is cached between runs
   * when `reuseBuild`), probed warm among `cache` entities and cold among all, and a wave of `wave` entities.
   */
  scale: {
    entities: number;
    historyEvents: number;
    buildConcurrency: number;
    cache: number;
    probes: number;
    concurrency: number;
    wave: number;
    reuseBuild: boolean;
    /** Stop building after this many minutes, keeping the progress for the next run (`--build-minutes`). */
    buildMinutes?: number;
  };
  /** Scenario 10: `events` events over `keys` warmed entities, by HTTP (`concurrency` senders) and from Kafka. */
  kafka: { keys: number; concurrency: number; events: number };
}

/** The full run: under 15 minutes on 2 cores. */
export const FULL: BenchSizes = {
  repeats: 3,
  throughput: { keys: 1_000, concurrency: 32, durationMs: 12_000, slices: 4 },
  hot: { keys: 10, senders: 10, burst: 20, durationMs: 8_000 },
  latency: { keys: 1_000, probeMs: 8_000, durationMs: 10_000, concurrency: 32 },
  continueAsNew: { events: 20_000, baselineEvents: 6_000, concurrency: 16, window: 1_000 },
  memory: { steps: [0, 500, 1_000, 1_500] },
  replay: { historyLength: 5_000, repeats: 5 },
  rules: { repeats: 3 },
  // 300 entities (not 1,000): the three builds of 1,000 × 150 events took 80 of the full run's 100 minutes (2026-12-02);
  // the history per entity, what a cold event replays, stays the full 150 events.
  cold: { entities: 300, historyEvents: 150, buildConcurrency: 64, cache: 30, probes: 600, probeConcurrency: 8 },
  scale: {
    entities: 100_000,
    historyEvents: 6,
    buildConcurrency: 64,
    cache: 1_000,
    probes: 4_000,
    concurrency: 16,
    wave: 10_000,
    reuseBuild: true,
  },
  kafka: { keys: 1_000, concurrency: 32, events: 20_000 },
};

/** `--quick`: every scenario, smaller, one repeat; under 3 minutes. */
export const QUICK: BenchSizes = {
  repeats: 1,
  throughput: { keys: 200, concurrency: 32, durationMs: 6_000, slices: 3 },
  hot: { keys: 10, senders: 10, burst: 20, durationMs: 4_000 },
  latency: { keys: 200, probeMs: 3_000, durationMs: 5_000, concurrency: 32 },
  continueAsNew: { events: 3_000, baselineEvents: 2_000, concurrency: 16, window: 500 },
  memory: { steps: [0, 250, 500] },
  replay: { historyLength: 1_000, repeats: 3 },
  rules: { repeats: 1 },
  cold: { entities: 100, historyEvents: 100, buildConcurrency: 32, cache: 10, probes: 200, probeConcurrency: 4 },
  scale: {
    entities: 2_000,
    historyEvents: 6,
    buildConcurrency: 32,
    cache: 100,
    probes: 400,
    concurrency: 16,
    wave: 500,
    reuseBuild: true,
  },
  kafka: { keys: 200, concurrency: 32, events: 4_000 },
};

/** The worker options of every target: the SDK's defaults except a cache large enough for every entity. */
export const BENCH_WORKER_OPTIONS: BenchWorkerOptions = {
  maxCachedWorkflows: 10_000,
  tuning: {},
};

/** What `npm run bench` was asked for on its command line, as the sizes of the run. */
export interface SizeFlags {
  quick: boolean;
  /** `--build-minutes`: scenario 9 stops building after this many minutes. */
  buildMinutes?: string | undefined;
  /** `--entities`: scenario 9 with this many entities instead of its size's (and a wave of the same share of them). */
  entities?: string | undefined;
  /** `--cache`: scenario 9's worker cache (and warm entities) instead of its size's. */
  cache?: string | undefined;
}

/**
 * The quick or full sizes with scenario 9's flags applied; a flag that is not a positive number (or a cache not below
 * the entities) is refused.
 */
export function benchSizes(flags: SizeFlags): BenchSizes {
  const preset = flags.quick ? QUICK : FULL;
  const scale = { ...preset.scale };
  if (flags.buildMinutes !== undefined) {
    const minutes = Number(flags.buildMinutes);
    if (!(minutes > 0)) throw new Error(`--build-minutes ${flags.buildMinutes}: expected a number of minutes > 0`);
    scale.buildMinutes = minutes;
  }
  if (flags.entities !== undefined) {
    const entities = Number(flags.entities);
    if (!(Number.isInteger(entities) && entities > 0))
      throw new Error(`--entities ${flags.entities}: expected a whole number of entities > 0`);
    // The wave keeps its share of the entities (a tenth at the full size), so that a smaller build measures in minutes.
    scale.wave = Math.max(1, Math.round((preset.scale.wave * entities) / preset.scale.entities));
    scale.entities = entities;
  }
  if (flags.cache !== undefined) {
    const cache = Number(flags.cache);
    if (!(Number.isInteger(cache) && cache > 0 && cache < scale.entities))
      throw new Error(`--cache ${flags.cache}: expected a whole number of entities > 0 and below ${scale.entities}`);
    scale.cache = cache;
  }
  return { ...preset, scale };
}
