/**
 * Scenario 4: one entity fed many events (20,000 in the full run) through continue-as-new. The cost of
 * an event must not grow with how many the entity has seen: p50 latency (send start → processed) of
 * the last window over the first, and the largest history length any run reached.
 */
import { benchConfig } from '../bench-config.js';
import { EventFactory } from '../bench-events.js';
import type { BenchSizes } from '../bench-options.js';
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
    // Closed on processing, not on acks: each sender waits until its event was handled, so latency is
    // the cost of an event (plus queueing behind the other senders), not a backlog growing on the server.
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
          await engine.send([event]);
          await engine.tracker.processed(event.id);
        }
      }),
    );
    seconds = (performance.now() - started) / 1000;
    const latencies = order.map((id) => engine.tracker.processedAt.get(id)! - sentAt.get(id)!);
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
