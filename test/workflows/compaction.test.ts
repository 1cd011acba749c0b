/**
 * Compaction of idle entities (COMPACT_WHEN_IDLE_PATCH), on the real server: an entity that has been idle
 * continues as new with its state, dedupe memory, windows and timers carried. The same events to an entity
 * whose compaction is off must give the same state, decisions and dedupe answers — across the compaction and
 * with an `unless` timer pending through it.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileConfigText } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { checkCarriedStart, compactionJitter } from '../../workflows/entity-run.js';
import { firingsQuery, stateQuery, tracesQuery } from '../../src/contract/messages.js';
import { startTestEngine, uniqueName, type TestEngine } from '../helpers/temporal.js';
import { HuntEntityKey, HuntEventCount } from '../../src/contract/search-attributes.js';
import { eventually } from '../reliability/harness/eventually.js';
import { listPauses, pause, resume } from '../../src/operations/pauses.js';
import type { EntityWorkflowInput } from '../../src/contract/messages.js';
import { PAUSE_CHECK_TTL_MS } from '../../src/contract/operations.js';

/** The kinds of the events in a run's history, and the input it started with. */
async function runHistory(client: Client, workflowId: string, runId: string) {
  const events = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events!;
  const kinds = events.map((e) =>
    Object.keys(e)
      .find((k) => k.endsWith('EventAttributes'))!
      .replace('EventAttributes', ''),
  );
  const payload = events[0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
  const input = JSON.parse(Buffer.from(payload.data!).toString('utf8')) as EntityWorkflowInput;
  return { kinds, input };
}

/** Waits until the entity's current run is not `runId` and has started (its first workflow task done). */
async function nextRun(client: Client, workflowId: string, runId: string) {
  return await eventually(
    () => client.workflow.getHandle(workflowId).describe(),
    (d) => d.runId !== runId && d.historyLength >= 4,
    { timeoutMs: 20_000, intervalMs: 250, what: `${workflowId} compacted into a new run` },
  );
}

/** Numbered `pinged` events to one team. */
const pingOf =
  (team: string) =>
  (n: number): EngineEvent => ({
    id: `${team}-p${n}`,
    source: 'test',
    type: 'pinged',
    specversion: '1.0',
    data: { teamId: team },
  });

/** What the last workflow task of a run recorded (after its workflowTaskCompleted). */
const lastTask = (kinds: string[]) => kinds.slice(kinds.lastIndexOf('workflowTaskCompleted') + 1);

const FIRST_TASK = [
  'workflowExecutionStarted',
  'workflowTaskScheduled',
  'workflowTaskStarted',
  'workflowTaskCompleted',
];

/** A rule of its own (pause records are namespace-wide): the last test pauses it. */
const HEARD = `heard-${randomUUID().slice(0, 8)}`;

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
  - id: ${HEARD}
    on: pinged
    then: [{ set: { heard: '{{ event.id }}' } }]
`;
  const compiled = compileConfigText(text, 'compaction.yaml');
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
  return compiled.config;
}

let compacting: TestEngine;
let plain: TestEngine;
const compactingConfig = config('{ whenIdle: 1s, minHistory: 10 }');

beforeAll(async () => {
  [compacting, plain] = await Promise.all([startTestEngine(compactingConfig), startTestEngine(config('false'))]);
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

  it('starts the compacted run short: its first workflow task records nothing, its start came in its input', async () => {
    const team = uniqueName('s');
    const workflowId = `team/${team}`;
    const handle = compacting.client.workflow.getHandle(workflowId);
    const ping = pingOf(team);
    for (let n = 1; n <= 8; n++) await compacting.delivery.publish([ping(n)]);
    const { runId: firstRun } = await handle.describe();
    const next = await nextRun(compacting.client, workflowId, firstRun);
    // The first run (a first run reads its own start: RUN_START_PATCH's marker, the SDK's TemporalChangeVersion
    // write, runStart's marker) asked CARRY_RUN_START_PATCH before it continued as new, then read the next run's
    // start (nextRunStart's marker).
    const first = await runHistory(compacting.client, workflowId, firstRun);
    expect(lastTask(first.kinds).slice(0, 3)).toEqual([
      'markerRecorded',
      'upsertWorkflowSearchAttributes',
      'markerRecorded',
    ]);
    expect(first.kinds.at(-1)).toBe('workflowExecutionContinuedAsNew');
    // The compacted run: started, its first workflow task, nothing else. Config and paused rules came in its input,
    // the search attributes and memo came over.
    const second = await runHistory(compacting.client, workflowId, next.runId);
    expect(second.kinds).toEqual(FIRST_TASK);
    expect(second.input.start?.config.version).toBe(compactingConfig.version);
    expect(second.input.start?.pausedRules).toEqual([]);
    expect(second.input.configVersion).toBe(compactingConfig.version);
    expect(next.typedSearchAttributes.get(HuntEntityKey)).toBe(team);
    expect(next.typedSearchAttributes.get(HuntEventCount)).toBe(8);
    expect((next.memo as { summary?: { events?: number } }).summary?.events).toBe(8);
    // The next event is handled by the short run and counted on from the carried state.
    await compacting.delivery.publish([ping(9)]);
    expect((await handle.query(stateQuery)).state).toMatchObject({ pings: 9, heard: `${team}-p9` });
    expect((await handle.describe()).runId).toBe(next.runId);
    // It grows past minHistory and compacts again: a run given its start asks no patch, it only reads the next
    // run's start before it continues as new.
    await compacting.delivery.publish([ping(10)]);
    const third = await nextRun(compacting.client, workflowId, next.runId);
    const secondDone = await runHistory(compacting.client, workflowId, next.runId);
    expect(secondDone.kinds.filter((k) => k === 'markerRecorded')).toEqual(['markerRecorded']);
    expect(lastTask(secondDone.kinds)[0]).toBe('markerRecorded');
    expect(secondDone.kinds.at(-1)).toBe('workflowExecutionContinuedAsNew');
    expect((await runHistory(compacting.client, workflowId, third.runId)).kinds).toEqual(FIRST_TASK);
    await compacting.delivery.publish([ping(11)]);
    expect((await handle.query(stateQuery)).state).toMatchObject({ pings: 11, heard: `${team}-p11` });
  }, 60_000);

  it('hands a paused rule on to the compacted run, which follows it without reading the pause records', async () => {
    const team = uniqueName('q');
    const workflowId = `team/${team}`;
    const handle = compacting.client.workflow.getHandle(workflowId);
    const ping = pingOf(team);
    await pause(compacting.client, compacting.taskQueue, 'rule', HEARD);
    try {
      await eventually(
        () => listPauses(compacting.client),
        (pauses) => pauses.some((p) => p.kind === 'rule' && p.name === HEARD),
        { timeoutMs: 10_000, intervalMs: 200, what: `the pause record of ${HEARD} listed` },
      );
      // Workers trust what they read about pauses for a second: the entity starts after that.
      await new Promise((resolve) => setTimeout(resolve, PAUSE_CHECK_TTL_MS + 200));
      for (let n = 1; n <= 8; n++) await compacting.delivery.publish([ping(n)]);
      const { runId: firstRun } = await handle.describe();
      const next = await nextRun(compacting.client, workflowId, firstRun);
      const compacted = await runHistory(compacting.client, workflowId, next.runId);
      expect(compacted.kinds).toEqual(FIRST_TASK);
      expect(compacted.input.start?.pausedRules).toEqual([HEARD]);
      await compacting.delivery.publish([ping(9)]);
      expect((await handle.query(stateQuery)).state).toMatchObject({ pings: 9 });
      expect((await handle.query(stateQuery)).state).not.toHaveProperty('heard');
      const trace = (await handle.query(tracesQuery, { eventId: `${team}-p9` }))[0]!;
      expect(trace.verdicts.find((v) => v.ruleId === HEARD)).toMatchObject({ fired: false, clause: 'paused' });
    } finally {
      await resume(compacting.client, 'rule', HEARD);
    }
    // Resumed (the signal reaches the compacted run): the rule fires again.
    await compacting.delivery.publish([ping(10)]);
    await eventually(
      () => handle.query(stateQuery),
      (v) => v.state.heard === `${team}-p10`,
      { timeoutMs: 10_000, intervalMs: 250, what: `${HEARD} fired again after resume` },
    );
  }, 60_000);

  it('refuses a carried run start that is not one, naming each problem (the task fails and retries)', () => {
    expect(() => checkCarriedStart(undefined, 'team/a')).not.toThrow();
    expect(() => checkCarriedStart({ config: compactingConfig, pausedRules: ['r'] }, 'team/a')).not.toThrow();
    expect(() => checkCarriedStart({ config: { rules: {} }, pausedRules: [3] }, 'team/a')).toThrow(
      /run start carried into team\/a is malformed \(config.version is not a string; config.rules is not an array; pausedRules is not a list of rule ids\)/,
    );
    expect(() => checkCarriedStart('x', 'team/a')).toThrow(/it is not an object/);
  });

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
