/** The simulator's input file: relative times (`at: 5m` from the start, `+30s` after the previous event), and bad times. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAt, readEventsFile } from '../../src/cli/events-file.js';
import { simulateFiles } from '../../src/cli/simulate-commands.js';
import { CliError } from '../../src/cli/cli-error.js';

async function eventsFile(lines: Array<Record<string, unknown> | string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hunt-times-'));
  const path = join(dir, 'events.jsonl');
  const text = lines.map((l) => (typeof l === 'string' ? l : JSON.stringify({ source: 's', type: 't', ...l })));
  await writeFile(path, `${text.join('\n')}\n`);
  return path;
}

const T0 = Date.parse('2026-05-01T10:00:00Z');

describe('event times in a simulation file', () => {
  it('reads durations from the first event’s time and +durations after the previous event', async () => {
    const path = await eventsFile([
      { id: 'a', time: '2026-05-01T10:00:00Z' },
      { id: 'b', at: '5m' },
      { id: 'c', at: '+30s' },
      { id: 'd', at: '1h30m' },
      { id: 'e', at: '+250ms' },
      { id: 'f' },
    ]);
    const events = await readEventsFile(path);
    expect(events.map((e) => [e.id, e.at])).toEqual([
      ['a', T0],
      ['b', T0 + 300_000],
      ['c', T0 + 330_000],
      ['d', T0 + 5_400_000],
      ['e', T0 + 5_400_250],
      ['f', undefined],
    ]);
  });

  it('counts from --start when given, also for the first event', async () => {
    const path = await eventsFile([
      { id: 'a', at: '0s' },
      { id: 'b', at: '+2m' },
    ]);
    const events = await readEventsFile(path, { start: T0 });
    expect(events.map((e) => e.at)).toEqual([T0, T0 + 120_000]);
  });

  it('names the file, the line and the field of a bad time, and what to write', async () => {
    const bad = await eventsFile([{ id: 'a', at: '2026-05-01T10:00:00Z' }, '', { id: 'b', at: '5 minutes' }]);
    await expect(readEventsFile(bad)).rejects.toThrow(CliError);
    await expect(readEventsFile(bad)).rejects.toThrow(
      /events\.jsonl:3: "at": "5 minutes" is not a time: write ms since the epoch, an ISO 8601 date .* \(5m\) .* \(\+30s\)/,
    );
    const badTime = await eventsFile([{ id: 'a', time: 'yesterday' }]);
    await expect(readEventsFile(badTime)).rejects.toThrow(/events\.jsonl:1: "time": "yesterday" is not an RFC 3339/);
    const noBase = await eventsFile([{ id: 'a', at: '+1m' }]);
    await expect(readEventsFile(noBase)).rejects.toThrow(/events\.jsonl:1: .*no event before it has a time.*--start/);
  });

  it('accepts only the documented forms', () => {
    expect(parseAt(1_000)).toEqual({ kind: 'absolute', ms: 1_000 });
    expect(parseAt('2026-05-01T10:00:00Z')).toEqual({ kind: 'absolute', ms: T0 });
    expect(parseAt('90s')).toEqual({ kind: 'fromStart', ms: 90_000 });
    expect(parseAt('+1d')).toEqual({ kind: 'afterPrevious', ms: 86_400_000 });
    for (const bad of ['5', 'May', '-5m', '+', '', true, null, Number.NaN]) expect(parseAt(bad)).toBeUndefined();
  });

  it('simulates the incidents example, whose file uses relative times, with the deadline where the times put it', async () => {
    const { result } = await simulateFiles(
      'examples/incidents/incidents.yaml',
      'examples/incidents/scenarios/storm.jsonl',
    );
    const escalation = result.steps.find((s) => s.kind === 'timer' && s.fired.includes('escalate'));
    // a-4 arrives 4m + 10s + 30s after the start (10:00); its 5-minute deadline is at 10:09:40.
    expect(escalation?.time).toBe('2026-05-01T10:09:40.000Z');
    const { result: shifted } = await simulateFiles(
      'examples/incidents/incidents.yaml',
      'examples/incidents/scenarios/storm.jsonl',
      { start: '2026-06-01T00:00:00Z' },
    );
    // The first event's own absolute `at` stays; the relative ones move with --start.
    expect(shifted.steps.find((s) => s.eventId === 'k-1')?.time).toBe('2026-06-01T00:03:00.000Z');
  });
});
