/** The shape of `bench/results/latest.json` and of what each scenario returns. */
import type { RestateServerInfo } from './restate/restate-server.js';
import { spread, type Spread } from './stats.js';

/** One measured figure: its repeats summarized. */
export interface Figure {
  label: string;
  unit: string;
  spread: Spread;
}

/** An engine-versus-baseline (or within-engine) ratio with its target. */
export interface Ratio {
  label: string;
  spread: Spread;
  /** e.g. '≥ 0.9'; met is judged on the median. 'report': measured and reported, with no target. */
  target: string;
  /** Absent for a ratio that is only reported. */
  met?: boolean;
}

export interface ScenarioResult {
  id: number;
  title: string;
  figures: Figure[];
  ratios: Ratio[];
  /** Parameters the scenario ran with (keys, concurrency, rates). */
  parameters: Record<string, unknown>;
  notes: string[];
}

export interface BenchResults {
  startedAt: string;
  durationSeconds: number;
  mode: 'quick' | 'full' | 'custom';
  machine: { cpus: number; cpuModel: string; memoryGiB: number; platform: string; node: string };
  versions: Record<string, string>;
  /** The Temporal dev server's flags; the Restate server's version and settings when a scenario ran it. */
  server: { flags: string[]; restate?: RestateServerInfo };
  workerOptions: unknown;
  scenarios: ScenarioResult[];
}

/** A figure from its repeated values. */
export function figure(label: string, unit: string, values: number[]): Figure {
  return { label, unit, spread: spread(values) };
}

/**
 * A ratio from its repeated values, judged on the median against `atLeast` or `atMost`; `'report'` records it
 * without a target (the issue asks for some comparisons to be reported honestly, not met).
 */
export function ratio(
  label: string,
  values: number[],
  bound: { atLeast: number } | { atMost: number } | 'report',
): Ratio {
  const s = spread(values);
  if (bound === 'report') return { label, spread: s, target: 'report' };
  return 'atLeast' in bound
    ? { label, spread: s, target: `≥ ${bound.atLeast}`, met: s.median >= bound.atLeast }
    : { label, spread: s, target: `≤ ${bound.atMost}`, met: s.median <= bound.atMost };
}
