/**
 * The entity workflow on the real dev server: delivery, event sourcing, dedupe, timers, actions
 * through the sandbox partner systems, dead letters and redrive, emit between entities, inspection.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileConfigText } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import {
  deadLettersQuery,
  eventsQuery,
  firingsQuery,
  redriveUpdate,
  stateQuery,
  timersQuery,
  tracesQuery,
} from '../../src/contract/messages.js';
import { timingConfigYaml as yaml } from '../fixtures/timing-config.js';
import { startTestEngine, uniqueName, type TestEngine } from '../helpers/temporal.js';

let sandbox: Sandbox;
let engine: TestEngine;
let config: CompiledConfig;

function compile(text: string): CompiledConfig {
  const result = compileConfigText(text, 'workflow-test.yaml');
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return result.config;
}

function event(type: string, data: Record<string, unknown>, id = uniqueName('evt')): EngineEvent {
  return { id, source: 'test', type, specversion: '1.0', data: data as EngineEvent['data'] };
}

async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!accept(last)) {
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    last = await probe();
  }
  return last;
}

const handle = (workflowId: string): WorkflowHandle => engine.client.workflow.getHandle(workflowId);
const callsTo = (team: string, path?: string) =>
  sandbox.requests().filter((r) => r.body.includes(`"${team}"`) && (path === undefined || r.path.endsWith(path)));

// The fixture's rules emit to the board `main`; other test files run the same config on the shared server with
// their own task queues, so this file's board gets a key of its own (else it could be another file's entity).
const BOARD = `main-${Date.now().toString(36)}`;

beforeAll(async () => {
  sandbox = await startSandbox({ systems: ['mailer'] });
  config = compile(yaml.replaceAll('boardId: main', `boardId: ${BOARD}`));
  engine = await startTestEngine(config, { env: { MAILER_URL: sandbox.url('mailer') } });
});
afterAll(async () => {
  await engine?.stop();
  await sandbox?.close();
});

describe('entity workflow', () => {
  it('folds a signalled event into state and calls the connector with a stable idempotency key', async () => {
    const team = uniqueName('team');
    const first = event('paid', { teamId: team });
    await engine.delivery.send([first]);
    const view = await eventually(
      () => handle(`team/${team}`).query(stateQuery),
      (v) => v.state.paid === true,
    );
    expect(view.entityType).toBe('team');
    expect(view.configVersion).toBe(config.version);
    const calls = await eventually(
      async () => callsTo(team),
      (c) => c.length === 1,
    );
    expect(calls[0]!.idempotencyKey).toBe(`team/${team}:${first.id}:welcome:0`);
    expect(JSON.parse(calls[0]!.body)).toMatchObject({ template: 'welcome', team });
  });

  it('answers publish with accepted, then duplicate for the same (source, id), without changing state', async () => {
    const team = uniqueName('team');
    const scan = event('scanned', { teamId: team, checkpoint: 'cp-1' });
    const [first] = await engine.delivery.publish([scan]);
    expect(first).toMatchObject({ eventId: scan.id, status: 'accepted' });
    const [again] = await engine.delivery.publish([scan]);
    expect(again).toMatchObject({ eventId: scan.id, status: 'duplicate' });
    const view = await handle(`team/${team}`).query(stateQuery);
    expect(view.state.found).toEqual(['cp-1']);
    expect(view.state.score).toBe(1);
    const events = await handle(`team/${team}`).query(eventsQuery);
    expect(events.map((e) => e.status)).toEqual(['accepted', 'duplicate']);
  });

  it('fires an `unless` rule on a workflow timer when the partner event does not come', async () => {
    const team = uniqueName('team');
    await engine.delivery.send([event('scanned', { teamId: team, checkpoint: 'cp-1' })]);
    const timers = await eventually(
      () => handle(`team/${team}`).query(timersQuery),
      (t) => t.length > 0,
    );
    expect(timers[0]!.ruleId).toBe('nudge');
    const nudges = await eventually(
      async () => callsTo(team, '/nudge'),
      (c) => c.length === 1,
    );
    expect(JSON.parse(nudges[0]!.body)).toMatchObject({ template: 'nudge', found: 1 });
  });

  it('keeps one timer while events that do not move the deadline arrive (handled without waking the loop)', async () => {
    const team = uniqueName('team');
    await engine.delivery.publish([event('scanned', { teamId: team, checkpoint: 'cp-1' })]);
    // `paid` leaves the nudge window alone: each is handled where it is delivered, and the timer stays.
    for (let i = 0; i < 5; i++) await engine.delivery.publish([event('paid', { teamId: team })]);
    await eventually(
      async () => callsTo(team, '/nudge'),
      (c) => c.length === 1,
    );
    const history = await handle(`team/${team}`).fetchHistory();
    const timersStarted = (history.events ?? []).filter((e) => e.timerStartedEventAttributes).length;
    expect(timersStarted).toBe(1);
    const view = await handle(`team/${team}`).query(stateQuery);
    expect(view.eventCount).toBe(6);
  });

  it('does not fire `unless` when the partner event arrives in time, and explains why', async () => {
    const team = uniqueName('team');
    const scans = ['cp-1', 'cp-2'].map((cp) => event('scanned', { teamId: team, checkpoint: cp }));
    await engine.delivery.publish([scans[0]!]);
    await engine.delivery.publish([scans[1]!]);
    const traces = await handle(`team/${team}`).query(tracesQuery, { eventId: scans[1]!.id });
    expect(traces).toHaveLength(1);
    const verdicts = Object.fromEntries(traces[0]!.verdicts.map((v) => [v.ruleId, v]));
    expect(verdicts.finish).toMatchObject({ fired: false, clause: 'if' });
    // The second scan cancels the first window and opens its own: only one nudge, after the second scan's window.
    await eventually(
      async () => callsTo(team, '/nudge'),
      (c) => c.length === 1,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(callsTo(team, '/nudge')).toHaveLength(1);
  });

  it('fires a `debounce` rule once, after the quiet period that follows the last matching event', async () => {
    const team = uniqueName('team');
    for (let i = 0; i < 3; i++) {
      await engine.delivery.publish([event('ping', { teamId: team })]);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const settled = await eventually(
      async () => callsTo(team, '/settled'),
      (c) => c.length === 1,
    );
    expect(JSON.parse(settled[0]!.body)).toMatchObject({ pings: 3 });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(callsTo(team, '/settled')).toHaveLength(1);
  });

  it('emits to another entity, which folds the emitted event', async () => {
    const team = uniqueName('team');
    await engine.delivery.send(
      ['cp-1', 'cp-2', 'cp-3'].map((cp) => event('scanned', { teamId: team, checkpoint: cp })),
    );
    const board = await eventually(
      () =>
        handle(`board/${BOARD}`)
          .query(stateQuery)
          .catch(() => undefined),
      (v) => Array.isArray(v?.state.finishers) && v.state.finishers.includes(team),
    );
    expect(board?.entityType).toBe('board');
    const firings = await handle(`team/${team}`).query(firingsQuery);
    expect(firings.map((f) => f.ruleId)).toContain('finish');
  });

  it('dead-letters a call that exhausts its retries, runs onFailure, and redrives it once the partner recovers', async () => {
    const team = uniqueName('team');
    sandbox.control('mailer', { kind: 'failWith', status: 500 });
    try {
      await engine.delivery.send(
        ['cp-1', 'cp-2', 'cp-3'].map((cp) => event('scanned', { teamId: team, checkpoint: cp })),
      );
      const letters = await eventually(
        () => handle(`team/${team}`).query(deadLettersQuery),
        (l) => l.some((d) => d.ruleId === 'finish'),
      );
      const letter = letters.find((d) => d.ruleId === 'finish')!;
      expect(letter.connector).toBe('mailer');
      expect(letter.attempts).toBe(2);
      expect(letter.lastFailure).toMatch(/500/);
      // onFailure ran too (and, the partner being down, was dead-lettered as well).
      await eventually(
        async () => sandbox.requests().filter((r) => r.path.endsWith('/alert')).length,
        (n) => n >= 1,
      );
      const described = await engine.client.workflow.getHandle(`team/${team}`).describe();
      expect(described.typedSearchAttributes.get({ name: 'HuntDeadLetters', type: 'INT' } as never)).toBeGreaterThan(0);
      // The rule stopped at the failed call: its emit waits in the dead letter.
      expect(letter.rest?.map((a) => a.action.kind)).toEqual(['emit']);
      const boardBefore = await handle(`board/${BOARD}`)
        .query(stateQuery)
        .catch(() => undefined);
      expect((boardBefore?.state.finishers as string[] | undefined) ?? []).not.toContain(team);
      sandbox.control('mailer', { kind: 'reset' });
      const result = await handle(`team/${team}`).executeUpdate(redriveUpdate, { args: [{ deadLetterId: letter.id }] });
      expect(result).toEqual({ ok: true });
      const after = await handle(`team/${team}`).query(deadLettersQuery);
      expect(after.find((d) => d.id === letter.id)?.redriven).toBeTypeOf('number');
      const finishCalls = sandbox
        .requests()
        .filter((r) => r.path.endsWith('/finish') && r.idempotencyKey === letter.idempotencyKey);
      expect(finishCalls.at(-1)?.status).toBeGreaterThanOrEqual(200);
      expect(finishCalls.at(-1)?.status).toBeLessThan(300);
      // …and a successful redrive runs the rest of the rule.
      await eventually(
        () =>
          handle(`board/${BOARD}`)
            .query(stateQuery)
            .catch(() => undefined),
        (v) => Array.isArray(v?.state.finishers) && v.state.finishers.includes(team),
      );
    } finally {
      sandbox.control('mailer', { kind: 'reset' });
    }
  });
});
