/**
 * Scenarios 1 and 2: sustained end-to-end throughput (events acked and processed by their workflows
 * per second) under a closed loop, engine versus B0 and versus Restate at equal offered concurrency.
 * 1 — many entities (1,000 keys), one event per send, SDK and HTTP paths.
 * 2 — hot entities (10 keys), bursts of events for one entity sent together (the engine coalesces them).
 * Each measurement also reads the CPU time its target's server and the bench process spent per event.
 */
import { benchConfig } from '../bench-config.js';
import { EventFactory, seededRandom } from '../bench-events.js';
import type { BenchSizes } from '../bench-options.js';
import { closedLoop, DRAIN_TIMEOUT_MS, warmUp } from '../load.js';
import { ownCpuSeconds, processCpuSeconds } from '../process-cpu.js';
import { startRestateTarget } from '../restate/restate-target.js';
import { figure, ratio, type Figure, type ScenarioResult } from '../results-model.js';
import { startBaselineTarget, startEngineTarget, stopAll, type BenchContext, type Target } from '../targets.js';

/** What one or more closed-loop measurements of a target counted. */
interface Counts {
  events: number;
  /** From the first send to the last event processed. */
  processedSeconds: number;
  /** While the senders ran. */
  ackedSeconds: number;
  signals: number;
  errors: number;
  /** CPU seconds of the target's server (NaN where unknown) and of the bench process, first send to last processed. */
  serverCpuSeconds: number;
  ownCpuSeconds: number;
}

interface Throughput {
  /** Events acked and processed per second, from the first send to the last processed. */
  processed: number;
  /** Events acked per second while the senders ran. */
  acked: number;
  errors: number;
  eventsPerSignal: number;
  /** CPU milliseconds per processed event: the target's server, the bench process. */
  serverCpuMs: number;
  ownCpuMs: number;
}

function throughput(counts: Counts[]): Throughput {
  const sum = (pick: (c: Counts) => number) => counts.reduce((total, c) => total + pick(c), 0);
  const events = sum((c) => c.events);
  return {
    processed: events / sum((c) => c.processedSeconds),
    acked: events / sum((c) => c.ackedSeconds),
    errors: sum((c) => c.errors),
    serverCpuMs: (sum((c) => c.serverCpuSeconds) * 1000) / events,
    ownCpuMs: (sum((c) => c.ownCpuSeconds) * 1000) / events,
    eventsPerSignal:
      events /
      Math.max(
        1,
        sum((c) => c.signals),
      ),
  };
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

/** Creates every entity of the target and waits until each is cached and idle (once per target). */
async function warm(driven: Driven, keys: number, concurrency: number): Promise<void> {
  if (driven.warmed) return;
  await warmUp(driven.target, driven.events, keys, concurrency);
  driven.warmed = true;
}

/** One closed-loop measurement (warmed first: every entity exists and is cached). */
async function measure(
  driven: Driven,
  keys: number,
  loop: { concurrency: number; durationMs: number; burst: number; seed: number },
): Promise<Counts> {
  const { target, events } = driven;
  await warm(driven, keys, loop.concurrency);

  const signalsBefore = target.tracker.signals;
  const serverCpu = () => (target.serverPid === undefined ? undefined : processCpuSeconds(target.serverPid)) ?? NaN;
  const server0 = serverCpu();
  const own0 = ownCpuSeconds();
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
  const serverCpuSeconds = serverCpu() - server0;
  const ownCpu = ownCpuSeconds() - own0;
  return {
    serverCpuSeconds,
    ownCpuSeconds: ownCpu,
    events: record.ackedAt.size,
    processedSeconds: (last - record.startedAt) / 1000,
    ackedSeconds: (record.endedAt - record.startedAt) / 1000,
    signals: target.tracker.signals - signalsBefore,
    errors: record.errors,
  };
}

/**
 * Scenario 1: 1,000 keys, SDK and HTTP paths, engine ÷ B0. Each repeat gives every target `durationMs`
 * of load in `slices` turns, in a rotating order: this VM's speed drifts over seconds, and turns of a
 * few seconds spread the drift over all targets where one turn each would hand it to one of them.
 */
export async function runManyEntities(ctx: BenchContext, sizes: BenchSizes): Promise<ScenarioResult> {
  const { keys, concurrency, durationMs, slices } = sizes.throughput;
  const config = benchConfig({ withAction: false });
  const b0 = await startBaselineTarget(ctx, 'B0');
  const sdk = await startEngineTarget(ctx, config, 'sdk');
  const http = await startEngineTarget(ctx, config, 'http');
  const restate = await startRestateTarget(ctx.restate, ctx.logger, { withAction: false });
  const driven: Record<string, Driven> = {
    B0: drive(b0, 's1b0'),
    sdk: drive(sdk, 's1sdk'),
    http: drive(http, 's1http'),
    restate: drive(restate, 's1restate'),
  };
  const names = Object.keys(driven);
  const runs: Record<string, Throughput[]> = { B0: [], sdk: [], http: [], restate: [] };
  try {
    for (const name of names) await warm(driven[name]!, keys, concurrency);
    for (let r = 0; r < sizes.repeats; r++) {
      const counts: Record<string, Counts[]> = { B0: [], sdk: [], http: [], restate: [] };
      for (let slice = 0; slice < slices; slice++) {
        const order = names.map((_, i) => names[(i + slice + r) % names.length]!);
        for (const name of order) {
          const loop = { concurrency, durationMs: durationMs / slices, burst: 1, seed: 7 + r * slices + slice };
          counts[name]!.push(await measure(driven[name]!, keys, loop));
        }
      }
      for (const name of names) runs[name]!.push(throughput(counts[name]!));
    }
  } finally {
    await stopAll([b0, sdk, http, restate]);
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
        'Restate processed',
        'events/s',
        values('restate', (t) => t.processed),
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
      figure(
        'Restate acked',
        'events/s',
        values('restate', (t) => t.acked),
      ),
      ...cpuFigures(runs, { B0: 'B0', sdk: 'engine SDK', http: 'engine HTTP', restate: 'Restate' }),
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
      ratio(
        'engine SDK ÷ Restate',
        runs.sdk!.map((t, i) => t.processed / runs.restate![i]!.processed),
        'report',
      ),
      ratio(
        'engine HTTP ÷ Restate',
        runs.http!.map((t, i) => t.processed / runs.restate![i]!.processed),
        'report',
      ),
    ],
    notes: [
      'processed: acked and handled by the workflow (Restate: by the handler), first send to last handled; acked: Temporal took the signal (Restate: its ingress answered 202 to a one-way send)',
      "CPU per event: of the target's server process (Temporal dev server or Restate server) and of the bench process (load generator, clients, workers, Restate SDK endpoint)",
      `each repeat: ${slices} turns of ${(durationMs / slices / 1000).toFixed(1)} s per target, in rotating order`,
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
  const restate = await startRestateTarget(ctx.restate, ctx.logger, { withAction: false });
  const driven = { B0: drive(b0, 's2b0'), sdk: drive(sdk, 's2sdk'), restate: drive(restate, 's2restate') };
  const runs: Record<string, Throughput[]> = { B0: [], sdk: [], restate: [] };
  try {
    for (let r = 0; r < sizes.repeats; r++) {
      const loop = { concurrency: senders, durationMs, burst, seed: 17 + r };
      runs.B0!.push(throughput([await measure(driven.B0, keys, loop)]));
      runs.sdk!.push(throughput([await measure(driven.sdk, keys, loop)]));
      runs.restate!.push(throughput([await measure(driven.restate, keys, loop)]));
    }
  } finally {
    await stopAll([b0, sdk, restate]);
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
        'Restate processed',
        'events/s',
        runs.restate!.map((t) => t.processed),
      ),
      figure(
        'engine events per signal',
        'events',
        runs.sdk!.map((t) => t.eventsPerSignal),
      ),
      ...cpuFigures(runs, { B0: 'B0', sdk: 'engine', restate: 'Restate' }),
    ],
    ratios: [
      ratio(
        'engine ÷ B0',
        runs.sdk!.map((t, i) => t.processed / runs.B0![i]!.processed),
        { atLeast: 2.0 },
      ),
      ratio(
        'engine ÷ Restate',
        runs.sdk!.map((t, i) => t.processed / runs.restate![i]!.processed),
        { atLeast: 1.0 },
      ),
    ],
    notes: ['Restate: one invocation per event (one send each), run one at a time per key by the virtual object'],
  };
}

/** CPU milliseconds per processed event of each target's server and of the bench process. */
function cpuFigures(runs: Record<string, Throughput[]>, labels: Record<string, string>): Figure[] {
  return Object.entries(labels).flatMap(([name, label]) => [
    figure(
      `${label} server CPU per event`,
      'ms',
      runs[name]!.map((t) => t.serverCpuMs),
    ),
    figure(
      `${label} bench process CPU per event`,
      'ms',
      runs[name]!.map((t) => t.ownCpuMs),
    ),
  ]);
}
