/**
 * TypeScript connectors (`defineConnector`) against the dev server: loaded from a module named by the
 * configuration (relative to it) with the worker's loader, run as the connector activity with the connector's own
 * retry policy. One fails twice and then answers (three attempts, one idempotency key, the answer recorded as the
 * call's result); one refuses for good (dead-lettered, `onFailure` runs, the failure type kept); one asks for a
 * later retry and is not retried before then.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileConfigText } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { loadConnectorModules } from '../../src/config/connector-modules.js';
import { deadLettersQuery, eventsQuery, stateQuery } from '../../src/contract/messages.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { eventually } from '../reliability/harness/eventually.js';
import { startTestEngine, uniqueName, type TestEngine } from '../helpers/temporal.js';
import type { ModuleCall } from '../fixtures/connectors/test-connectors.js';

/** A configuration file beside the fixture module (it is never read: the text is compiled as if it were). */
const CONFIG_FILE = path.resolve('test/fixtures/connectors/module-connectors.yaml');

const YAML = `
name: module-connectors
entities:
  team: { key: data.teamId, initial: {} }
sources: { game: { auth: none } }
events:
  team.finished: { source: game, entity: team, schema: { type: object, required: [teamId, kind] } }
  flaky.responded:
    entity: team
    reduce: [ { set: { certificate: '{{ data.body.certificate }}', status: '{{ data.status }}' } } ]
connectors:
  flaky:
    module: ./test-connectors.ts
    settings: { token: '{{ env.FLAKY_TOKEN }}', region: eu }
    retry: { maximumAttempts: 5, initialInterval: 100ms, maximumInterval: 200ms }
  broken:
    module: ./test-connectors.ts
    retry: { maximumAttempts: 5, initialInterval: 100ms }
  patient:
    module: ./test-connectors.ts
    retry: { maximumAttempts: 3, initialInterval: 100ms, maximumInterval: 100ms }
rules:
  - id: certify
    on: team.finished
    if: data.kind == 'flaky'
    then:
      - call: flaky
        body: { team: '{{ entity.key }}' }
        result: true
      - set: { after: '{{ result.body.attempt }}' }
  - id: refuse
    on: team.finished
    if: data.kind == 'broken'
    then: [ { call: broken, body: { team: '{{ entity.key }}' } } ]
    onFailure: [ { set: { alerted: true } } ]
  - id: wait
    on: team.finished
    if: data.kind == 'patient'
    then: [ { call: patient, body: { team: '{{ entity.key }}' } } ]
`;

let engine: TestEngine;
let config: CompiledConfig;

function calls(connector: string, team: string): ModuleCall[] {
  const all = (globalThis as unknown as Record<symbol, ModuleCall[] | undefined>)[
    Symbol.for('treasure-hunt-engine.test.module-calls')
  ];
  return (all ?? []).filter((c) => c.connector === connector && c.team === team);
}

const finished = (teamId: string, kind: string): EngineEvent => ({
  id: uniqueName('evt'),
  source: 'game',
  type: 'team.finished',
  specversion: '1.0',
  data: { teamId, kind },
});

beforeAll(async () => {
  const compiled = compileConfigText(YAML, CONFIG_FILE);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
  config = compiled.config;
  const { modules, problems } = await loadConnectorModules(config, CONFIG_FILE);
  expect(problems).toEqual([]);
  engine = await startTestEngine(config, {
    env: { FLAKY_TOKEN: 'tok-secret' },
    taskQueue: uniqueName('module-connectors'),
    connectorModules: modules,
  });
}, 60_000);

afterAll(async () => {
  await engine?.stop();
});

describe('TypeScript connectors run as connector calls', () => {
  it('retries a retryable failure: three attempts with one idempotency key, then the answer is the result', async () => {
    const team = uniqueName('flaky-team');
    await engine.delivery.publish([finished(team, 'flaky')]);
    const handle = engine.client.workflow.getHandle(`team/${team}`);
    const view = await eventually(
      () => handle.query(stateQuery),
      (v) => v.state.after !== undefined && v.pendingActions === 0,
      { what: 'the call succeeded' },
    );
    expect(view.state).toMatchObject({ certificate: `cert-${team}`, status: 200, after: 3 });
    const attempts = calls('flaky', team);
    expect(attempts.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(new Set(attempts.map((c) => c.idempotencyKey)).size).toBe(1);
    expect(attempts[0]?.idempotencyKey).toContain(team);
    // Settings reach run resolved on the worker; the secret stays out of the recorded result.
    expect(attempts[0]?.settings).toEqual({ token: 'tok-secret', region: 'eu' });
    const events = await handle.query(eventsQuery);
    expect(events.filter((e) => e.type === 'flaky.responded')).toHaveLength(1);
    expect(view.deadLetters).toBe(0);
  }, 60_000);

  it('dead-letters a non-retryable failure after one attempt and runs onFailure', async () => {
    const team = uniqueName('broken-team');
    await engine.delivery.publish([finished(team, 'broken')]);
    const handle = engine.client.workflow.getHandle(`team/${team}`);
    const view = await eventually(
      () => handle.query(stateQuery),
      (v) => v.state.alerted === true && v.deadLetters === 1,
      { what: 'the dead letter and onFailure' },
    );
    expect(view.state.alerted).toBe(true);
    expect(calls('broken', team).map((c) => c.attempt)).toEqual([1]);
    const letters = await handle.query(deadLettersQuery);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ connector: 'broken', ruleId: 'refuse', attempts: 1 });
    expect(letters[0]?.lastFailure).toContain(`no such recipient for ${team}`);
    expect(letters[0]?.idempotencyKey).toBe(calls('broken', team)[0]?.idempotencyKey);
  }, 60_000);

  it('honours retry-after over the retry policy', async () => {
    const team = uniqueName('patient-team');
    await engine.delivery.publish([finished(team, 'patient')]);
    const handle = engine.client.workflow.getHandle(`team/${team}`);
    await eventually(
      () => handle.query(stateQuery),
      (v) => v.pendingActions === 0 && calls('patient', team).length === 2,
      { what: 'the second attempt' },
    );
    const [first, second] = calls('patient', team);
    expect([first?.attempt, second?.attempt]).toEqual([1, 2]);
    // The policy alone would retry within 100 ms; the connector asked for 1.5 s.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1400);
  }, 60_000);
});
