/**
 * Demo speed: compresses the durations of rule timings (windows, debounce, throttle) so a hunt that
 * takes an afternoon can be watched in a few minutes. Applied once at startup to the compiled config
 * (`HUNT_DEMO_SPEED`); the result is a config of its own — its own version hash, its `demoSpeed` recorded —
 * so entities started at real speed keep their real windows (config versions are pinned per run).
 * Connector timeouts and retry intervals are left alone: they describe the partner systems, not the hunt.
 */
import { contentHash } from '../config/canonical-json.js';
import type { CompiledConfig, CompiledRule, Millis, RuleTiming } from '../config/compiled.js';
import { EngineError } from '../contract/engine-error.js';

/** Shortest compressed duration: below this, timers and event round trips blur into each other. */
export const MIN_COMPRESSED_MS = 500;

/** A demo speed that is not a whole number from 1 up. */
export class DemoSpeedError extends EngineError {
  override readonly name = 'DemoSpeedError';
  readonly code = 'DEMO_SPEED_INVALID';
  constructor(speed: number) {
    super(
      `demo speed ${speed} is not valid: use a whole number ≥ 1 (1 = real durations, 60 = a minute becomes a second)`,
    );
  }
}

/** Returns `config` with every rule duration divided by `speed` (unchanged, same version, when speed is 1). */
export function compressDurations(config: CompiledConfig, speed: number): CompiledConfig {
  if (!Number.isInteger(speed) || speed < 1) throw new DemoSpeedError(speed);
  if (speed === 1) return config;
  const { version: _version, demoSpeed: already, ...content } = config;
  // Compressing an already compressed config compounds the factors, so the recorded speed stays true.
  const total = (already ?? 1) * speed;
  const compressed = { ...content, rules: config.rules.map((rule) => compressRule(rule, speed)), demoSpeed: total };
  return { ...compressed, version: contentHash(compressed) };
}

function compressRule(rule: CompiledRule, speed: number): CompiledRule {
  return rule.timing === undefined ? rule : { ...rule, timing: compressTiming(rule.timing, speed) };
}

function compressTiming(timing: RuleTiming, speed: number): RuleTiming {
  const scale = (ms: Millis): Millis => Math.max(MIN_COMPRESSED_MS, Math.round(ms / speed));
  switch (timing.kind) {
    case 'within':
    case 'unless':
    case 'count':
      return { ...timing, windowMs: scale(timing.windowMs) };
    case 'debounce':
      return { ...timing, quietMs: scale(timing.quietMs) };
    case 'throttle':
      return { ...timing, intervalMs: scale(timing.intervalMs) };
    case 'all':
      return timing.windowMs === undefined ? timing : { ...timing, windowMs: scale(timing.windowMs) };
  }
}
