/**
 * `npm run bench:profile [-- --targets B0,sdk,http] [-- --seconds 10] [-- --keys 1000] [-- --windows]`: where
 * the CPU of scenario 1 goes. Runs each target alone against the bench's own dev server (closed loop, 32 senders,
 * one event per send) and prints the CPU time per processed event of this process (client, workers,
 * ingest, load generator) and of the Temporal server. Run it under `node --cpu-prof` (see
 * docs/performance.md) to see which functions spend it.
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { benchConfig } from './bench-config.js';
import { EventFactory, seededRandom } from './bench-events.js';
import { openBenchContext } from './harness.js';
import { ownCpuSeconds, processCpuSeconds } from './process-cpu.js';
import { closedLoop, DRAIN_TIMEOUT_MS, warmUp } from './load.js';
import { startBaselineTarget, startEngineTarget, type BenchContext, type Target } from './targets.js';

const CONCURRENCY = 32;

function serverPid(address: string): number {
  const port = address.split(':').pop()!;
  const out = execFileSync('pgrep', ['-f', `start-dev .*--port ${port}`], { encoding: 'utf8' });
  return Number(out.trim().split('\n')[0]);
}

/** Event types (and counts) in the histories of a few of the target's workflows, for comparing targets. */
async function historyShape(ctx: BenchContext, taskQueue: string): Promise<string> {
  const counts = new Map<string, number>();
  let workflows = 0;
  for await (const execution of ctx.client.workflow.list({ query: `TaskQueue="${taskQueue}"` })) {
    const history = await ctx.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    for (const event of history.events ?? []) {
      const type = String(event.eventType);
      counts.set(type, (counts.get(type) ?? 0) + 1);
    }
    if (++workflows >= 20) break;
  }
  return [...counts].map(([type, n]) => `${type}=${(n / workflows).toFixed(1)}`).join(' ');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      targets: { type: 'string', default: 'B0,sdk,http' },
      seconds: { type: 'string', default: '10' },
      keys: { type: 'string', default: '1000' },
      history: { type: 'boolean', default: false },
      windows: { type: 'boolean', default: false },
      repeats: { type: 'string', default: '3' },
    },
  });
  const seconds = Number(values.seconds);
  const keys = Number(values.keys);
  const { ctx, server, close } = await openBenchContext();
  const pid = server.pid ?? serverPid(server.address);
  const config = benchConfig({ withAction: false });
  const start: Record<string, () => Promise<Target>> = {
    B0: () => startBaselineTarget(ctx, 'B0'),
    sdk: () => startEngineTarget(ctx, config, 'sdk'),
    http: () => startEngineTarget(ctx, config, 'http'),
  };
  const names = values.targets.split(',');
  const driven: Array<{ name: string; target: Target; events: EventFactory }> = [];
  try {
    for (const name of names) {
      const make = start[name];
      if (!make) throw new Error(`unknown target ${name}; use B0, sdk or http`);
      const target = await make();
      const events = new EventFactory(`p-${name}`);
      driven.push({ name, target, events });
      await warmUp(target, events, keys, CONCURRENCY);
    }
    // Interleaved repeats, so the machine's noise spreads over every target alike.
    for (let r = 0; r < Number(values.repeats); r++) {
      for (const { name, target, events } of driven) {
        const random = seededRandom(7 + r);
        const own0 = ownCpuSeconds();
        const server0 = processCpuSeconds(pid) ?? NaN;
        const window0 = process.hrtime.bigint() / 1000n;
        const record = await closedLoop(target, {
          concurrency: CONCURRENCY,
          durationMs: seconds * 1000,
          nextSends: () => [[events.event(Math.floor(random() * keys))]],
        });
        const last = await target.tracker.lastProcessed(record.ackedAt.keys(), DRAIN_TIMEOUT_MS);
        const own = ownCpuSeconds() - own0;
        const serverCpu = (processCpuSeconds(pid) ?? NaN) - server0;
        const count = record.ackedAt.size;
        const line = [
          name.padEnd(5),
          `${(count / ((last - record.startedAt) / 1000)).toFixed(0)} events/s processed`,
          `bench process ${((own * 1000) / count).toFixed(2)} ms CPU/event`,
          `server ${((serverCpu * 1000) / count).toFixed(2)} ms CPU/event`,
          `errors ${record.errors}`,
        ].join(' · ');
        process.stdout.write(`${line}\n`);
        // The monotonic clock of --cpu-prof's timestamps, so a profile can be cut to the measured window.
        if (values.windows) process.stdout.write(`      window µs: ${window0}-${process.hrtime.bigint() / 1000n}\n`);
        if (values.history) process.stdout.write(`      history: ${await historyShape(ctx, target.taskQueue)}\n`);
      }
    }
  } finally {
    for (const { target } of driven) await target.stop();
    await close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`profile failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
