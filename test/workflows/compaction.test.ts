/**
 * Compaction of idle entities (COMPACT_WHEN_IDLE_PATCH), on the real server: an entity that has been idle
 * continues as new with its state, dedupe memory, windows and timers carried. The same events to an entity
 * whose compaction is off must give the same state, decisions and dedupe answers — across the compaction and
 * with an `unless` timer pending through it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileConfigText } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { compactionJitter } from '../../workflows/entity-run.js';
import { firingsQuery, stateQuery, tracesQuery } from '../../src/contract/messages.js';
import { startTestEngine, uniqueName, type TestEngine } from '../helpers/temporal.js';
import { HuntEntityKey, HuntEventCount } from '../../src/contract/search-attributes.js';
import { eventually } from '../reliability/harness/eventually.js';

function config(compaction: string): CompiledConfig {
  const text = `
name: compaction
entities:
  team:
    key: data.teamId
    initial: { found: [] }
    compaction: ${compaction}
sources:
  test: { auth: none }
events:
  scanned:
    source: test
    entity: team
    schema: { type: object, required: [teamId, checkpoint] }
    reduce: [{ append: { found: '{{ data.checkpoint }}' } }]
  pinged:
    source: test
    entity: team
    schema: { type: object, required: [teamId] }
    reduce: [{ increment: { pings: 1 } }]
rules:
  - id: nudge
    on: scanned
    unless: { event: scanned, window: 4s }
    then: [{ set: { nudged: '{{ data.checkpoint }}' } }]
`;
  const compiled = compileConfigText(text, 'compaction.yaml');
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
  return compiled.config;
}

let compacting: TestEngine;
let plain: TestEngine;

beforeAll(async () => {
  [compacting, plain] = await Promise.all([
    startTestEngine(config('{ whenIdle: 1s, minHistory: 10 }')),
    startTestEngine(config('false')),
  ]);
});
afterAll(async () => {
  await Promise.all([compacting?.stop(), plain?.stop()]);
});

const scan = (team: string, n: number, id = `${team}-e${n}`): EngineEvent => ({
  id,
  source: 'test',
  type: 'scanned',
  specversion: '1.0',
  data: { teamId: team, checkpoint: `cp-${n}` },
});

/** Plays the same story to one entity of an engine; returns what it answered and what it holds. */
async function story(engine: TestEngine, team: string) {
  const handle = engine.client.workflow.getHandle(`team/${team}`);
  const answers: string[] = [];
  const publish = async (events: EngineEvent[]) => {
    for (const r of await engine.delivery.publish(events)) answers.push(`${r.eventId.replace(team, '')}:${r.status}`);
  };
  for (let n = 1; n <= 6; n++) await publish([scan(team, n)]);
  const { runId: firstRun } = await handle.describe();
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  const runAfterIdle = (await handle.describe()).runId;
  // A re-delivery of an early event, and a new one that cancels the pending `unless` and arms a new deadline.
  await publish([scan(team, 2), scan(team, 7)]);
  const view = await eventually(
    () => handle.query(stateQuery),
    (v) => v.state.nudged !== undefined,
    { timeoutMs: 20_000, intervalMs: 250, what: `team/${team} nudged by its unless timer` },
  );
  const firings = (await handle.query(firingsQuery)).map((f) => `${f.ruleId}:${f.eventId.replace(team, '')}`);
  const traces = (await handle.query(tracesQuery, {})).map(
    (t) => `${t.status}:${t.eventId.replace(team, '')}:${t.verdicts.map((v) => `${v.ruleId}=${v.fired}`).join(',')}`,
  );
  return { answers, view, firings, traces, compactedWhileIdle: runAfterIdle !== firstRun };
}

describe('compaction of idle entities', () => {
  it('snapshots an idle entity into a new run without changing state, decisions or dedupe', async () => {
    const [withCompaction, without] = await Promise.all([
      story(compacting, uniqueName('c')),
      story(plain, uniqueName('p')),
    ]);
    expect(withCompaction.compactedWhileIdle).toBe(true);
    expect(without.compactedWhileIdle).toBe(false);
    expect(withCompaction.answers).toEqual(without.answers);
    expect(withCompaction.answers).toContain('-e2:duplicate');
    expect(withCompaction.view.state).toEqual(without.view.state);
    expect(withCompaction.view.state).toMatchObject({ nudged: 'cp-7' });
    expect(withCompaction.view.eventCount).toBe(without.view.eventCount);
    expect(withCompaction.traces.slice(-3)).toEqual(without.traces.slice(-3));
    // Firings after the compaction are the same; the run that compacted kept those before it in history.
    expect(withCompaction.firings.at(-1)).toEqual(without.firings.at(-1));
  }, 60_000);

  it('compacts an entity whose events were all handled inline, with no deadline to wake its loop', async () => {
    const team = uniqueName('i');
    const handle = compacting.client.workflow.getHandle(`team/${team}`);
    for (let n = 1; n <= 8; n++) {
      await compacting.delivery.publish([
        { id: `${team}-p${n}`, source: 'test', type: 'pinged', specversion: '1.0', data: { teamId: team } },
      ]);
    }
    const { runId: firstRun } = await handle.describe();
    await eventually(
      () => handle.describe(),
      (d) => d.runId !== firstRun,
      { timeoutMs: 20_000, intervalMs: 250, what: `team/${team} compacted into a new run` },
    );
    expect((await handle.query(stateQuery)).state).toMatchObject({ pings: 8 });
  }, 60_000);

  it('starts the compacted run short: one patch marker, one local activity, no visibility write of its own', async () => {
    const team = uniqueName('s');
    const handle = compacting.client.workflow.getHandle(`team/${team}`);
    const ping = (n: number): EngineEvent => ({
      id: `${team}-p${n}`,
      source: 'test',
      type: 'pinged',
      specversion: '1.0',
      data: { teamId: team },
    });
    for (let n = 1; n <= 8; n++) await compacting.delivery.publish([ping(n)]);
    const { runId: firstRun } = await handle.describe();
    const next = await eventually(
      () => handle.describe(),
      (d) => d.runId !== firstRun && d.historyLength >= 4,
      { timeoutMs: 20_000, intervalMs: 250, what: `team/${team} compacted into a new run` },
    );
    const kinds = (await compacting.client.workflow.getHandle(`team/${team}`, next.runId).fetchHistory()).events!.map(
      (e) =>
        Object.keys(e)
          .find((k) => k.endsWith('EventAttributes'))!
          .replace('EventAttributes', ''),
    );
    // Started, the first workflow task, then: the RUN_START_PATCH marker and the TemporalChangeVersion the SDK
    // writes with it, and the runStart local activity's marker. The search attributes and memo came over.
    expect(kinds).toEqual([
      'workflowExecutionStarted',
      'workflowTaskScheduled',
      'workflowTaskStarted',
      'workflowTaskCompleted',
      'markerRecorded',
      'upsertWorkflowSearchAttributes',
      'markerRecorded',
    ]);
    expect(next.typedSearchAttributes.get(HuntEntityKey)).toBe(team);
    expect(next.typedSearchAttributes.get(HuntEventCount)).toBe(8);
    expect((next.memo as { summary?: { events?: number } }).summary?.events).toBe(8);
    // The next event is handled by the short run and counted on from the carried state.
    await compacting.delivery.publish([ping(9)]);
    expect((await handle.query(stateQuery)).state).toMatchObject({ pings: 9 });
    expect((await handle.describe()).runId).toBe(next.runId);
  }, 60_000);

  it('spreads entities that went idle together over a quarter of the idle time', () => {
    const idleMs = 600_000;
    const delays = Array.from({ length: 1_000 }, (_, i) => compactionJitter(`team/t-${i}`, idleMs));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(idleMs / 4);
    // Spread, not clustered: every tenth of the range holds some entities.
    const buckets = new Set(delays.map((d) => Math.floor(d / (idleMs / 40))));
    expect(buckets.size).toBe(10);
    expect(compactionJitter('team/a', idleMs)).toBe(compactionJitter('team/a', idleMs));
  });
});
