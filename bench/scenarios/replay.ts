/**
 * Scenario 6: replaying a history of about 5,000 history events (one run, one event per signal and
 * per workflow task, the next sent once the last was handled),
 * engine versus B0, with one replay worker per bundle so only the first replay pays for start-up.
 */
import { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { benchConfig } from '../bench-config.js';
import { EventFactory } from '../bench-events.js';
import type { BenchSizes } from '../bench-options.js';
import { figure, ratio, type ScenarioResult } from '../results-model.js';
import { startBaselineTarget, startEngineTarget, stopAll, type BenchContext, type Target } from '../targets.js';

/** Stay in one run: both workflows continue as new at 2,000 events. */
const MAX_EVENTS = 1_900;

interface Built {
  historyEvents: number;
  entityEvents: number;
  msPerThousand: number[];
}

/** Grows one workflow's history to about `length` events, then replays it `repeats` (+1 warm-up) times. */
async function buildAndReplay(
  ctx: BenchContext,
  target: Target,
  handleFor: (key: string) => WorkflowHandle,
  bundle: { codePath: string },
  length: number,
  repeats: number,
): Promise<Built> {
  const events = new EventFactory(`s6${target.taskQueue.slice(-6)}`);
  let sent = 0;
  // One event per signal and per workflow task for both: the same history shape, event for event.
  while (target.tracker.maxHistoryLength < length - 8 && sent < MAX_EVENTS) {
    const event = events.event(0);
    await target.send([event]);
    await target.tracker.processed(event.id);
    sent++;
  }
  const history = await handleFor(events.key(0)).fetchHistory();
  const historyEvents = history.events?.length ?? 0;
  const msPerThousand: number[] = [];
  const histories = Array.from({ length: repeats + 1 }, (_, i) => ({ workflowId: `replay-${i}`, history }));
  let last = performance.now();
  let i = 0;
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: bundle, sinks: ctx.trackers.sinks(), replayName: `bench-${target.name}` },
    histories,
  )) {
    if (result.error) throw result.error;
    const now = performance.now();
    if (i++ > 0) msPerThousand.push(((now - last) / historyEvents) * 1_000);
    last = now;
  }
  return { historyEvents, entityEvents: sent, msPerThousand };
}

/** Scenario 6. */
export async function runReplay(ctx: BenchContext, sizes: BenchSizes): Promise<ScenarioResult> {
  const { historyLength, repeats } = sizes.replay;
  const b0 = await startBaselineTarget(ctx, 'B0');
  const engine = await startEngineTarget(ctx, benchConfig({ withAction: false }), 'sdk');
  let b0Built: Built;
  let engineBuilt: Built;
  try {
    b0Built = await buildAndReplay(
      ctx,
      b0,
      (key) => ctx.client.workflow.getHandle(`${b0.taskQueue}/${key}`),
      ctx.bundles.baseline,
      historyLength,
      repeats,
    );
    engineBuilt = await buildAndReplay(
      ctx,
      engine,
      (key) => ctx.client.workflow.getHandle(`team/${key}`),
      ctx.bundles.engine,
      historyLength,
      repeats,
    );
  } finally {
    await stopAll([b0, engine]);
  }
  const perEntityEvent = (b: Built) => b.msPerThousand.map((ms) => (ms * b.historyEvents) / b.entityEvents);
  return {
    id: 6,
    title: `replay of a ${historyLength.toLocaleString('en')}-event history`,
    parameters: {
      historyLength,
      repeats,
      b0: { historyEvents: b0Built.historyEvents, entityEvents: b0Built.entityEvents },
      engine: { historyEvents: engineBuilt.historyEvents, entityEvents: engineBuilt.entityEvents },
    },
    figures: [
      figure('B0 per 1k history events', 'ms', b0Built.msPerThousand),
      figure('engine per 1k history events', 'ms', engineBuilt.msPerThousand),
      figure('B0 per 1k entity events', 'ms', perEntityEvent(b0Built)),
      figure('engine per 1k entity events', 'ms', perEntityEvent(engineBuilt)),
    ],
    ratios: [
      ratio(
        'engine ÷ B0 (per history event)',
        engineBuilt.msPerThousand.map((v, i) => v / b0Built.msPerThousand[i]!),
        { atMost: 2.0 },
      ),
      ratio(
        'engine ÷ B0 (per entity event)',
        perEntityEvent(engineBuilt).map((v, i) => v / perEntityEvent(b0Built)[i]!),
        { atMost: 2.0 },
      ),
    ],
    notes: [
      `histories: B0 ${b0Built.historyEvents} events for ${b0Built.entityEvents} entity events; ` +
        `engine ${engineBuilt.historyEvents} for ${engineBuilt.entityEvents}`,
    ],
  };
}
