/**
 * The simulator's input: a JSONL file of events, one per line, each with an optional `at` saying when it
 * arrives in virtual time. `at` may be absolute (ms since the epoch, or an ISO 8601 date), a duration from
 * the start (`5m`: the `--start` time, else the first event's time), or a duration after the previous
 * event (`+30s`). Every time is resolved here, so a bad one is reported with its file, line and field.
 */
import { readFile } from 'node:fs/promises';
import { parseDuration } from '../config/durations.js';
import type { SimulationEvent } from '../rules/simulate.js';
import { CliError } from './cli-error.js';

/** What an `at` may be, for error messages. */
export const AT_HINT =
  'write ms since the epoch, an ISO 8601 date (2026-05-01T10:00:00Z), a duration from the start (5m) or a ' +
  'duration after the previous event (+30s)';

type ParsedAt =
  { kind: 'absolute'; ms: number } | { kind: 'fromStart'; ms: number } | { kind: 'afterPrevious'; ms: number };

/** Parses an `at` value; undefined when it is none of the accepted forms. */
export function parseAt(value: unknown): ParsedAt | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? { kind: 'absolute', ms: value } : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text.startsWith('+')) {
    const ms = parseDuration(text.slice(1));
    return ms === undefined ? undefined : { kind: 'afterPrevious', ms };
  }
  const duration = parseDuration(text);
  if (duration !== undefined) return { kind: 'fromStart', ms: duration };
  // Only date-shaped text: Date.parse alone accepts "5" or "May" as dates.
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? { kind: 'absolute', ms } : undefined;
}

/** Parses `--start` (ms since the epoch or an ISO 8601 date). */
export function parseStart(value: string): number {
  const parsed = parseAt(/^\d+$/.test(value) ? Number(value) : value);
  if (parsed?.kind !== 'absolute')
    throw new CliError(`--start ${JSON.stringify(value)} is not a time: write ms since the epoch or an ISO 8601 date`);
  return parsed.ms;
}

interface Line {
  where: string;
  event: Record<string, unknown>;
}

/**
 * Resolves every event's `at` (and checks its `time`) to absolute ms. The start is `start` if given, else the
 * first event's absolute time (`at`, else `time`), else 0. An event with neither `at` nor `time` keeps none:
 * it arrives at the current virtual time.
 */
function resolveTimes(lines: Line[], start: number | undefined): SimulationEvent[] {
  const parsed = lines.map(({ where, event }) => {
    let at: ParsedAt | undefined;
    if (event.at !== undefined) {
      at = parseAt(event.at);
      if (!at) throw new CliError(`${where}: "at": ${JSON.stringify(event.at)} is not a time: ${AT_HINT}`);
    }
    let time: number | undefined;
    if (event.time !== undefined) {
      time = typeof event.time === 'string' ? Date.parse(event.time) : Number.NaN;
      if (!Number.isFinite(time))
        throw new CliError(
          `${where}: "time": ${JSON.stringify(event.time)} is not an RFC 3339 date (2026-05-01T10:00:00Z); ` +
            'use "at" for a relative time',
        );
    }
    return { where, event, at, time };
  });
  const first = parsed[0];
  const base = start ?? (first?.at?.kind === 'absolute' ? first.at.ms : first?.time) ?? 0;
  let previous: number | undefined;
  return parsed.map(({ where, event, at, time }) => {
    let ms: number | undefined;
    if (at?.kind === 'absolute') ms = at.ms;
    else if (at?.kind === 'fromStart') ms = base + at.ms;
    else if (at?.kind === 'afterPrevious') {
      if (previous === undefined && start === undefined && first?.at?.kind !== 'absolute' && first?.time === undefined)
        throw new CliError(
          `${where}: "at": ${JSON.stringify(event.at)} is after the previous event, but no event before it has a time: ` +
            'give the first event an "at" or "time", or pass --start',
        );
      ms = (previous ?? base) + at.ms;
    } else ms = time;
    if (ms !== undefined) previous = ms;
    const { at: _at, ...rest } = event;
    return { specversion: '1.0', data: null, ...rest, ...(ms !== undefined && { at: ms }) } as SimulationEvent;
  });
}

/** Reads a JSONL file of events (blank lines ignored; `specversion` defaults to 1.0; times resolved, see above). */
export async function readEventsFile(path: string, opts: { start?: number } = {}): Promise<SimulationEvent[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(err);
    throw new CliError(`cannot read events file ${path}: ${reason}`);
  }
  const lines: Line[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${path}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new CliError(
        `${where}: not JSON (${err instanceof Error ? err.message : String(err)}); write one event per line`,
      );
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new CliError(`${where}: an event must be a JSON object`);
    const event = value as Record<string, unknown>;
    for (const field of ['id', 'source', 'type']) {
      if (typeof event[field] !== 'string' || event[field] === '') {
        throw new CliError(`${where}: the event needs a non-empty string "${field}"`);
      }
    }
    lines.push({ where, event });
  });
  return resolveTimes(lines, opts.start);
}
