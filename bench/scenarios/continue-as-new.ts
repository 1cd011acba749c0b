/**
 * Scenario 4: one entity fed many events (20,000 in the full run) through continue-as-new. The cost of
 * an event must not grow with how many the entity has seen: p50 latency (send start → processed) of
 * the last window over the first, and the largest history length any run reached.
 *
 * B0 is fed the same way, through the same coalescing (one signal in flight, what arrives meanwhile goes
 * in the next), for fewer events: it shows what Temporal itself does with this traffic, so a change of
 * latency within a run can be told apart from a cost that grows in the engine.
 */
import type { EngineEvent } from '../../src/rules/types.js';
import { benchConfig } from '../bench-config.js';
import { EventFactory } from '../bench-events.js';
import type { BenchSizes } from '../bench-options.js';
import { figure, ratio, type ScenarioResult } from '../results-model.js';
import { percentile } from '../stats.js';
import { startBaselineTarget, startEngineTarget, type BenchContext, type Target } from '../targets.js';

interface Drift {
  first: number;
  last: number;
  /** p50 of each window of events, in order. */
  windows: number[];
  seconds: number;
}

/**
 * Sends like EntityDelivery (window 0): one signal in flight, and everything sent meanwhile goes
 * together in the next. Used for B0, so both targets get the same signals.
 */
function coalescing(target: Target): Target {
  let queued: Array<{ event: EngineEvent; settle: (err?: Error) => void }> = [];
  let inFlight = false;
  const pump = async () => {
    inFlight = true;
    while (queued.length > 0) {
      const batch = queued;
      queued = [];
      try {
        await target.send(batch.map((item) => item.event));
        for (const item of batch) item.settle();
      } catch (err) {
        for (const item of batch) item.settle(err instanceof Error ? err : new Error(String(err)));
      }
    }
    inFlight = false;
  };
  return {
    ...target,
    send: (events) =>
      Promise.all(
        events.map(
          (event) =>
            new Promise<void>((resolve, reject) => {
              queued.push({ event, settle: (err) => (err === undefined ? resolve() : reject(err)) });
              if (!inFlight) setTimeout(() => void pump(), 0);
            }),
        ),
      ).then(() => undefined),
  };
}

/**
 * `concurrency` senders, each waiting until its event was handled before sending the next: latency is
 * the cost of an event (plus queueing behind the other senders), not a backlog growing on the server.
 */
async function feed(target: Target, prefix: string, count: number, concurrency: number, window: number) {
  const events = new EventFactory(prefix);
  const order: string[] = [];
  const sentAt = new Map<string, number>();
  const started = performance.now();
  let remaining = count;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (remaining > 0) {
        remaining--;
        const event = events.event(0);
        order.push(event.id);
        sentAt.set(event.id, performance.now());
        await target.send([event]);
        await target.tracker.processed(event.id);
      }
    }),
  );
  const latencies = order.map((id) => target.tracker.processedAt.get(id)! - sentAt.get(id)!);
  const windows: number[] = [];
  for (let i = 0; i < latencies.length; i += window) windows.push(percentile(latencies.slice(i, i + window), 50));
  return {
    first: percentile(latencies.slice(0, window), 50),
    last: percentile(latencies.slice(-window), 50),
    windows,
    seconds: (performance.now() - started) / 1000,
  } satisfies Drift;
}

/** Scenario 4. */
export async function runContinueAsNew(ctx: BenchContext, sizes: BenchSizes): Promise<ScenarioResult> {
  const { events: count, baselineEvents, concurrency, window } = sizes.continueAsNew;
  const engine = await startEngineTarget(ctx, benchConfig({ withAction: false }), 'sdk');
  let drift: Drift;
  try {
    drift = await feed(engine, 's4', count, concurrency, window);
  } finally {
    await engine.stop();
  }
  const b0 = await startBaselineTarget(ctx, 'B0');
  let baseline: Drift;
  try {
    baseline = await feed(coalescing(b0), 's4b0', baselineEvents, concurrency, window);
  } finally {
    await b0.stop();
  }
  const shown = (windows: number[]) => windows.map((w) => w.toFixed(0)).join(' ');
  return {
    id: 4,
    title: `one entity, ${count.toLocaleString('en')} events through continue-as-new`,
    parameters: { events: count, baselineEvents, concurrency, window },
    figures: [
      figure(`p50 first ${window}`, 'ms', [drift.first]),
      figure(`p50 last ${window}`, 'ms', [drift.last]),
      figure('max history length', 'events', [engine.tracker.maxHistoryLength]),
      figure('runs', 'runs', [engine.tracker.runIds.size]),
      figure('events per signal', 'events', [count / Math.max(1, engine.tracker.signals)]),
      figure('throughput', 'events/s', [count / drift.seconds]),
      figure(`B0 (same signals) p50 first ${window}`, 'ms', [baseline.first]),
      figure(`B0 (same signals) p50 last ${window}`, 'ms', [baseline.last]),
      figure('B0 (same signals) p50 last ÷ p50 first', 'ratio', [baseline.last / baseline.first]),
    ],
    ratios: [
      ratio('p50 last ÷ p50 first', [drift.last / drift.first], { atMost: 1.2 }),
      ratio('max history length', [engine.tracker.maxHistoryLength], { atMost: 9_999 }),
    ],
    notes: [
      `engine p50 per ${window} events, ms: ${shown(drift.windows)}`,
      `B0 fed the same signals (${baselineEvents.toLocaleString('en')} events), p50 per ${window}, ms: ${shown(baseline.windows)}`,
    ],
  };
}
