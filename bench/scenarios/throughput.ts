/**
 * Scenarios 1 and 2: sustained end-to-end throughput (events acked and processed by their workflows
 * per second) under a closed loop, engine versus B0 at equal offered concurrency.
 * 1 — many entities (1,000 keys), one event per send, SDK and HTTP paths.
 * 2 — hot entities (10 keys), bursts of events for one entity sent together (the engine coalesces them).
 */
import { benchConfig } from '../bench-config.js';
import { EventFactory, seededRandom } from '../bench-events.js';
import type { BenchSizes } from '../bench-options.js';
import { closedLoop, sendAll } from '../load.js';
import { figure, ratio, type ScenarioResult } from '../results-model.js';
import { startBaselineTarget, startEngineTarget, type BenchContext, type Target } from '../targets.js';

const DRAIN_TIMEOUT_MS = 180_000;

interface Throughput {
  /** Events acked and processed per second, from the first send to the last processed. */
  processed: number;
  /** Events acked per second while the senders ran. */
  acked: number;
  errors: number;
  eventsPerSignal: number;
}

/** A target with its entity keys; the entities are created and cached once, before the first measurement. */
interface Driven {
  target: Target;
  events: EventFactory;
  warmed: boolean;
}

function drive(target: Target, prefix: string): Driven {
  return { target, events: new EventFactory(prefix), warmed: false };
}

/** One closed-loop measurement (warmed first: every entity exists and is cached). */
async function measure(
  driven: Driven,
  keys: number,
  loop: { concurrency: number; durationMs: number; burst: number; seed: number },
): Promise<Throughput> {
  const { target, events } = driven;
  if (!driven.warmed) {
    const warm = await sendAll(
      target,
      Array.from({ length: keys }, (_, i) => [events.event(i)]),
      loop.concurrency,
    );
    await target.tracker.lastProcessed(warm.ackedAt.keys(), DRAIN_TIMEOUT_MS);
    await target.settled(Array.from({ length: keys }, (_, i) => events.key(i)));
    driven.warmed = true;
  }

  const signalsBefore = target.tracker.signals;
  const random = seededRandom(loop.seed);
  const record = await closedLoop(target, {
    concurrency: loop.concurrency,
    durationMs: loop.durationMs,
    nextSends: () => {
      const key = Math.floor(random() * keys);
      return Array.from({ length: loop.burst }, () => [events.event(key)]);
    },
  });
  const last = await target.tracker.lastProcessed(record.ackedAt.keys(), DRAIN_TIMEOUT_MS);
  const count = record.ackedAt.size;
  return {
    processed: count / ((last - record.startedAt) / 1000),
    acked: count / ((record.endedAt - record.startedAt) / 1000),
    errors: record.errors,
    eventsPerSignal: count / Math.max(1, target.tracker.signals - signalsBefore),
  };
}

/** Scenario 1: 1,000 keys, SDK and HTTP paths, engine ÷ B0. */
export async function runManyEntities(ctx: BenchContext, sizes: BenchSizes): Promise<ScenarioResult> {
  const { keys, concurrency, durationMs } = sizes.throughput;
  const config = benchConfig({ withAction: false });
  const b0 = await startBaselineTarget(ctx, 'B0');
  const sdk = await startEngineTarget(ctx, config, 'sdk');
  const http = await startEngineTarget(ctx, config, 'http');
  const quiet = await startEngineTarget(ctx, config, 'sdk', { visibilityOff: true });
  const driven: Record<string, Driven> = {
    B0: drive(b0, 's1b0'),
    sdk: drive(sdk, 's1sdk'),
    http: drive(http, 's1http'),
    quiet: drive(quiet, 's1quiet'),
  };
  const runs: Record<string, Throughput[]> = { B0: [], sdk: [], http: [], quiet: [] };
  try {
    for (let r = 0; r < sizes.repeats; r++) {
      // Interleaved, so the machine's noise spreads over every target alike.
      for (const name of ['B0', 'sdk', 'http', 'quiet']) {
        runs[name]!.push(await measure(driven[name]!, keys, { concurrency, durationMs, burst: 1, seed: 7 + r }));
      }
    }
  } finally {
    await Promise.all([b0.stop(), sdk.stop(), http.stop(), quiet.stop()]);
  }
  const values = (name: string, pick: (t: Throughput) => number) => runs[name]!.map(pick);
  const errors = Object.values(runs)
    .flat()
    .reduce((sum, t) => sum + t.errors, 0);
  return {
    id: 1,
    title: `sustained events/s, ${keys.toLocaleString('en')} entities`,
    parameters: { keys, concurrency, durationMs, repeats: sizes.repeats },
    figures: [
      figure(
        'B0 processed',
        'events/s',
        values('B0', (t) => t.processed),
      ),
      figure(
        'engine SDK processed',
        'events/s',
        values('sdk', (t) => t.processed),
      ),
      figure(
        'engine HTTP processed',
        'events/s',
        values('http', (t) => t.processed),
      ),
      figure(
        'engine SDK, visibility off (ablation)',
        'events/s',
        values('quiet', (t) => t.processed),
      ),
      figure(
        'visibility off ÷ B0 (ablation)',
        'ratio',
        runs.quiet!.map((t, i) => t.processed / runs.B0![i]!.processed),
      ),
      figure(
        'B0 acked',
        'events/s',
        values('B0', (t) => t.acked),
      ),
      figure(
        'engine SDK acked',
        'events/s',
        values('sdk', (t) => t.acked),
      ),
      figure(
        'engine HTTP acked',
        'events/s',
        values('http', (t) => t.acked),
      ),
    ],
    ratios: [
      ratio(
        'engine SDK ÷ B0',
        runs.sdk!.map((t, i) => t.processed / runs.B0![i]!.processed),
        { atLeast: 0.9 },
      ),
      ratio(
        'engine HTTP ÷ B0',
        runs.http!.map((t, i) => t.processed / runs.B0![i]!.processed),
        { atLeast: 0.9 },
      ),
    ],
    notes: [
      'processed: acked and handled by the workflow, first send to last handled; acked: signal-with-start returned',
      'visibility off: workflows/visibility.ts swapped for a no-op at bundle time, to show what per-event upserts cost',
      ...(errors > 0 ? [`${errors} sends failed (not counted)`] : []),
    ],
  };
}

/** Scenario 2: 10 hot keys, bursts; the engine coalesces a burst into one signal. */
export async function runHotEntities(ctx: BenchContext, sizes: BenchSizes): Promise<ScenarioResult> {
  const { keys, senders, burst, durationMs } = sizes.hot;
  const config = benchConfig({ withAction: false });
  const b0 = await startBaselineTarget(ctx, 'B0');
  const sdk = await startEngineTarget(ctx, config, 'sdk');
  const driven = { B0: drive(b0, 's2b0'), sdk: drive(sdk, 's2sdk') };
  const runs: Record<string, Throughput[]> = { B0: [], sdk: [] };
  try {
    for (let r = 0; r < sizes.repeats; r++) {
      const loop = { concurrency: senders, durationMs, burst, seed: 17 + r };
      runs.B0!.push(await measure(driven.B0, keys, loop));
      runs.sdk!.push(await measure(driven.sdk, keys, loop));
    }
  } finally {
    await Promise.all([b0.stop(), sdk.stop()]);
  }
  return {
    id: 2,
    title: 'hot entities (10 keys, bursts), coalescing',
    parameters: { keys, senders, burst, durationMs, repeats: sizes.repeats },
    figures: [
      figure(
        'B0 processed',
        'events/s',
        runs.B0!.map((t) => t.processed),
      ),
      figure(
        'engine processed',
        'events/s',
        runs.sdk!.map((t) => t.processed),
      ),
      figure(
        'engine events per signal',
        'events',
        runs.sdk!.map((t) => t.eventsPerSignal),
      ),
    ],
    ratios: [
      ratio(
        'engine ÷ B0',
        runs.sdk!.map((t, i) => t.processed / runs.B0![i]!.processed),
        { atLeast: 2.0 },
      ),
    ],
    notes: [],
  };
}
