/**
 * Scenario 3: event → action latency at half the sustainable rate, engine versus B1 and versus Restate, split
 * into ack (publish start → Temporal accepted), workflow task (ack → the workflow handled the event) and
 * activity (→ the destination received the call: the sandbox for the engine, the no-op activity for B1).
 * Restate's split: ack (its ingress accepted the send), handler (→ the virtual object folded the event) and
 * ctx.run (→ the sandbox received the call its durable step made). All at the same offered rate.
 */
import { benchConfig } from '../bench-config.js';
import { EventFactory, seededRandom } from '../bench-events.js';
import type { BenchSizes } from '../bench-options.js';
import { closedLoop, DRAIN_TIMEOUT_MS, openLoop, sendAll, type LoadRecord } from '../load.js';
import { figure, ratio, type Figure, type ScenarioResult } from '../results-model.js';
import { percentile } from '../stats.js';
import { startRestateTarget } from '../restate/restate-target.js';
import { startBaselineTarget, startEngineTarget, stopAll, type BenchContext, type Target } from '../targets.js';

/** Resolves with the time the last action of `ids` arrived. */
async function lastAction(target: Target, ids: string[], timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const times = ids.map((id) => target.actionAt.get(id));
    if (times.every((t) => t !== undefined)) return Math.max(0, ...times);
    if (performance.now() > deadline) {
      const missing = times.filter((t) => t === undefined).length;
      throw new Error(`${target.name}: ${missing} of ${ids.length} actions did not arrive within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function warm(target: Target, events: EventFactory, keys: number, concurrency: number): Promise<void> {
  const record = await sendAll(
    target,
    Array.from({ length: keys }, (_, i) => [events.event(i)]),
    concurrency,
  );
  await lastAction(target, [...record.ackedAt.keys()], DRAIN_TIMEOUT_MS);
}

interface Split {
  total: number[];
  ack: number[];
  workflowTask: number[];
  activity: number[];
}

async function splitOf(target: Target, record: LoadRecord): Promise<Split> {
  const ids = [...record.ackedAt.keys()];
  await lastAction(target, ids, DRAIN_TIMEOUT_MS);
  const split: Split = { total: [], ack: [], workflowTask: [], activity: [] };
  for (const id of ids) {
    const sent = record.sentAt.get(id)!;
    const acked = record.ackedAt.get(id)!;
    const processed = target.tracker.processedAt.get(id) ?? acked;
    const action = target.actionAt.get(id)!;
    split.total.push(action - sent);
    split.ack.push(acked - sent);
    split.workflowTask.push(Math.max(0, processed - acked));
    split.activity.push(action - processed);
  }
  return split;
}

/** Scenario 3. */
export async function runLatency(ctx: BenchContext, sizes: BenchSizes): Promise<ScenarioResult> {
  const { keys, probeMs, durationMs, concurrency } = sizes.latency;
  const config = benchConfig({ withAction: true });
  const b1 = await startBaselineTarget(ctx, 'B1');
  const engine = await startEngineTarget(ctx, config, 'sdk');
  const restate = await startRestateTarget(ctx.restate, ctx.logger, { withAction: true });
  type Side = 'b1' | 'engine' | 'restate';
  const p: Record<Side, { p50: number[]; p99: number[] }> = {
    b1: { p50: [], p99: [] },
    engine: { p50: [], p99: [] },
    restate: { p50: [], p99: [] },
  };
  // The three parts of each side's latency, named for what each side does in them.
  const partNames: Record<Side, [string, string, string]> = {
    b1: ['ack', 'workflow task', 'activity'],
    engine: ['ack', 'workflow task', 'activity'],
    restate: ['ack', 'handler', 'ctx.run'],
  };
  const parts: Record<string, { p50: number[]; p99: number[] }> = {};
  const addPart = (name: string, values: number[]) => {
    parts[name] ??= { p50: [], p99: [] };
    parts[name].p50.push(percentile(values, 50));
    parts[name].p99.push(percentile(values, 99));
  };
  let rate: number;
  try {
    // Sustainable rate: the engine's end-to-end action rate under a closed loop of `concurrency`.
    const probeEvents = new EventFactory('s3probe');
    await warm(engine, probeEvents, keys, concurrency);
    const random = seededRandom(11);
    // Closed on handling, not on acks: a loop closed on acks piles signals up on the server, whose
    // workflow tasks then take many at once — a rate the engine does not sustain event by event.
    const probe = await closedLoop(engine, {
      concurrency,
      durationMs: probeMs,
      nextSends: () => [[probeEvents.event(Math.floor(random() * keys))]],
      afterAck: (events) => Promise.all(events.map((e) => engine.tracker.processed(e.id))).then(() => undefined),
    });
    const last = await lastAction(engine, [...probe.ackedAt.keys()], DRAIN_TIMEOUT_MS);
    const sustainable = probe.ackedAt.size / ((last - probe.startedAt) / 1000);
    rate = Math.max(1, Math.round(sustainable / 2));

    const keyed = new Map<Target, EventFactory>([
      [b1, new EventFactory('s3b1')],
      [engine, probeEvents],
      [restate, new EventFactory('s3restate')],
    ]);
    const sides = new Map<Target, Side>([
      [b1, 'b1'],
      [engine, 'engine'],
      [restate, 'restate'],
    ]);
    await warm(b1, keyed.get(b1)!, keys, concurrency);
    await warm(restate, keyed.get(restate)!, keys, concurrency);
    for (let r = 0; r < sizes.repeats; r++) {
      for (const target of [b1, engine, restate]) {
        const events = keyed.get(target)!;
        const pick = seededRandom(13 + r);
        const record = await openLoop(target, {
          ratePerSecond: rate,
          durationMs,
          nextSend: () => [events.event(Math.floor(pick() * keys))],
        });
        const split = await splitOf(target, record);
        const side = sides.get(target)!;
        const [ack, handled, action] = partNames[side];
        p[side].p50.push(percentile(split.total, 50));
        p[side].p99.push(percentile(split.total, 99));
        addPart(`${side} ${ack}`, split.ack);
        addPart(`${side} ${handled}`, split.workflowTask);
        addPart(`${side} ${action}`, split.activity);
      }
    }
  } finally {
    await stopAll([b1, engine, restate]);
  }
  const partFigures: Figure[] = Object.entries(parts).flatMap(([name, v]) => [
    figure(`${name} p50`, 'ms', v.p50),
    figure(`${name} p99`, 'ms', v.p99),
  ]);
  return {
    id: 3,
    title: 'event → action latency at half the sustainable rate',
    parameters: { keys, rate, durationMs, repeats: sizes.repeats },
    figures: [
      figure('B1 p50', 'ms', p.b1.p50),
      figure('B1 p99', 'ms', p.b1.p99),
      figure('engine p50', 'ms', p.engine.p50),
      figure('engine p99', 'ms', p.engine.p99),
      figure('Restate p50', 'ms', p.restate.p50),
      figure('Restate p99', 'ms', p.restate.p99),
      ...partFigures,
    ],
    ratios: [
      ratio(
        'engine p99 ÷ B1 p99',
        p.engine.p99.map((v, i) => v / p.b1.p99[i]!),
        { atMost: 1.5 },
      ),
      ratio(
        'engine p99 ÷ Restate p99',
        p.engine.p99.map((v, i) => v / p.restate.p99[i]!),
        'report',
      ),
      ratio(
        'engine p50 ÷ Restate p50',
        p.engine.p50.map((v, i) => v / p.restate.p50[i]!),
        'report',
      ),
    ],
    notes: [`offered rate ${rate} events/s (half the engine's measured sustainable action rate)`],
  };
}
