/** Plain-word renderings of values, durations and times, for decision traces and simulation output. */
import type { Json } from '../config/compiled.js';

const MAX_VALUE_CHARS = 80;

/** A value as short JSON text (`"abc"`, `3`, `[1,2]`), cut at 80 characters; `missing` for undefined. */
export function showValue(value: Json | undefined): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

const UNITS: Array<[string, number]> = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
];

/** A duration in ms as `2h`, `1h30m`, `45s`, `250ms`. */
export function showDuration(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  let rest = ms;
  let text = '';
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      text += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return rest > 0 ? `${text}${rest}ms` : text;
}

/** Engine time (ms since epoch) as an ISO 8601 string. */
export function showTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}
