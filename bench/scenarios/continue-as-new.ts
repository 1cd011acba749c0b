/**
 * Scenario 4: one entity fed many events (20,000 in the full run) through continue-as-new. The cost of
 * an event must not grow with how many the entity has seen: p50 latency (send start → processed) of
 * the last window over the first, and the largest history length any run reached.
 */
import { benchConfig } from '../bench-config.js';
import { EventFactory } from '../bench-events.js';
import type { BenchSizes } from '../bench-options.js';
import { sendAll } from '../load.js';
import { figure, ratio, type ScenarioResult } from '../results-model.js';
import { percentile } from '../stats.js';
import { startEngineTarget, type BenchContext } from '../targets.js';

/** Scenario 4. */
export async function runContinueAsNew(ctx: BenchContext, sizes: BenchSizes): Promise<ScenarioResult> {
  const { events: count, concurrency, window } = sizes.continueAsNew;
  const engine = await startEngineTarget(ctx, benchConfig({ withAction: false }), 'sdk');
  const events = new EventFactory('s4');
  let first: number;
  let last: number;
  let seconds: number;
  try {
    const batches = Array.from({ length: count }, () => [events.event(0)]);
    const record = await sendAll(engine, batches, concurrency);
    const done = await engine.tracker.lastProcessed(record.ackedAt.keys(), 300_000);
    seconds = (done - record.startedAt) / 1000;
    // Latency in send order: events were created (and sent) in id order.
    const latencies = batches.map(
      ([event]) => engine.tracker.processedAt.get(event!.id)! - record.sentAt.get(event!.id)!,
    );
    first = percentile(latencies.slice(0, window), 50);
    last = percentile(latencies.slice(-window), 50);
  } finally {
    await engine.stop();
  }
  return {
    id: 4,
    title: `one entity, ${count.toLocaleString('en')} events through continue-as-new`,
    parameters: { events: count, concurrency, window },
    figures: [
      figure(`p50 first ${window}`, 'ms', [first]),
      figure(`p50 last ${window}`, 'ms', [last]),
      figure('max history length', 'events', [engine.tracker.maxHistoryLength]),
      figure('runs', 'runs', [engine.tracker.runIds.size]),
      figure('events per signal', 'events', [count / Math.max(1, engine.tracker.signals)]),
      figure('throughput', 'events/s', [count / seconds]),
    ],
    ratios: [
      ratio('p50 last ÷ p50 first', [last / first], { atMost: 1.2 }),
      ratio('max history length', [engine.tracker.maxHistoryLength], { atMost: 9_999 }),
    ],
    notes: [],
  };
}
