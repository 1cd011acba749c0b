/**
 * Keeps the benchmark harness working: runs every scenario in quick mode on tiny sizes against the
 * bench's own dev server and checks that each reports finite figures. Not a performance test: no
 * figure is compared with a target here.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { BenchSizes } from '../../bench/bench-options.js';
import { runBench } from '../../bench/harness.js';
import { renderTable } from '../../bench/report.js';

const TINY: BenchSizes = {
  repeats: 1,
  throughput: { keys: 5, concurrency: 4, durationMs: 800, slices: 2 },
  hot: { keys: 2, senders: 2, burst: 3, durationMs: 800 },
  latency: { keys: 5, probeMs: 800, durationMs: 800, concurrency: 4 },
  continueAsNew: { events: 60, baselineEvents: 40, concurrency: 4, window: 10 },
  memory: { steps: [0, 10] },
  replay: { historyLength: 60, repeats: 1 },
  rules: { repeats: 1 },
  cold: { entities: 4, historyEvents: 25, buildConcurrency: 4, cache: 2, probes: 8, probeConcurrency: 2 },
  // Built in this run (no cached database), so the build path runs every time.
  scale: {
    entities: 8,
    historyEvents: 6,
    buildConcurrency: 4,
    cache: 2,
    probes: 6,
    concurrency: 2,
    wave: 3,
    reuseBuild: false,
  },
  kafka: { keys: 4, concurrency: 2, events: 20 },
};

describe('bench harness (quick mode, tiny sizes)', () => {
  // Scenarios 1–3 also run Restate: on the loaded 2-core machine the whole run took 220 s of the former 240 s.
  // Scenario 10 starts a Kafka broker (a JVM: 15–40 s on the loaded machine), hence the extra two minutes.
  // Scenario 9 waits out its warm entities' compactions (about 40 s) before its cold phase: one more minute.
  it('runs every scenario and reports finite figures and ratios', { timeout: 540_000 }, async () => {
    const lines: string[] = [];
    // The engine's warnings (auth "none" on the bench source) and the Kafka client's join retries stay here.
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const results = await runBench({ mode: 'quick', sizes: TINY, log: (line) => lines.push(line), logger }).catch(
      (err: unknown) => {
        throw new Error(`the bench failed (${String(err)}); what it logged:\n${lines.join('\n')}`, { cause: err });
      },
    );

    expect(results.scenarios.map((s) => s.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const scenario of results.scenarios) {
      expect(scenario.figures.length, `scenario ${scenario.id} has figures`).toBeGreaterThan(0);
      for (const f of scenario.figures) {
        expect(Number.isFinite(f.spread.median), `${scenario.id}: ${f.label} = ${f.spread.median}`).toBe(true);
      }
      for (const r of scenario.ratios) {
        expect(Number.isFinite(r.spread.median), `${scenario.id}: ${r.label} = ${r.spread.median}`).toBe(true);
      }
    }
    const throughput = results.scenarios[0]!.figures.find((f) => f.label === 'engine SDK processed')!;
    expect(throughput.spread.median).toBeGreaterThan(0);
    expect(results.server.flags).toContain('start-dev');
    // Scenarios 1–3 ran Restate beside the engine, on a server the run started and stopped.
    expect(results.server.restate?.version).toMatch(/^\d+\.\d+\.\d+/);
    const restate = results.scenarios[1]!.figures.find((f) => f.label === 'Restate processed')!;
    expect(restate.spread.median).toBeGreaterThan(0);
    expect(results.scenarios[2]!.ratios.map((r) => r.label)).toContain('engine p99 ÷ Restate p99');
    expect(renderTable(results)).toContain('engine SDK ÷ B0');
    expect(renderTable(results)).toContain('engine SDK ÷ Restate');
    expect(lines).toContain('scenario 7…');
  });
});
