/**
 * Guarantee 1 against operator mistakes, on the real server: no operator input turns a live entity into a
 * failed one. Refused before acceptance (update validators): a migrate to an unknown version, a redrive of
 * an unknown dead letter, a malformed publish. Ignored with a log line: a malformed signal. A workflow-task
 * failure that retries (the entity waits, history intact): a config version no worker has, a corrupted
 * carried state. Each test checks the workflow is still running and its state unchanged.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileConfigText } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { CONFIG_VERSION_MISSING_METRIC, engineMetricsRegistry } from '../../src/metrics/engine-metrics.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { TemporalConfigRegistry } from '../../src/worker/config-registry.js';
import {
  ENTITY_WORKFLOW_TYPE,
  eventSignal,
  migrateUpdate,
  publishUpdate,
  redriveUpdate,
  stateQuery,
  type EntityWorkflowInput,
} from '../../src/contract/messages.js';
import { startTestEngine, temporalTestContext, uniqueName, type TestEngine } from '../helpers/temporal.js';
import { eventually } from '../reliability/harness/eventually.js';

const EventType = proto.temporal.api.enums.v1.EventType;

function config(extraRule = ''): CompiledConfig {
  const text = `
name: survives
entities:
  team: { key: data.teamId, initial: { found: [] } }
sources:
  test: { auth: none }
events:
  scanned:
    source: test
    entity: team
    schema: { type: object, required: [teamId, checkpoint] }
    reduce: [{ append: { found: '{{ data.checkpoint }}' } }]
rules:
  - id: noted
    on: scanned
    then: [{ set: { last: '{{ data.checkpoint }}' } }]
${extraRule}`;
  const compiled = compileConfigText(text, 'survives.yaml');
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
  return compiled.config;
}

const scan = (team: string, checkpoint: string): EngineEvent => ({
  id: `${team}-${checkpoint}`,
  source: 'test',
  type: 'scanned',
  specversion: '1.0',
  data: { teamId: team, checkpoint },
});

let engine: TestEngine;
const v1 = config();
const v2 = config(`  - id: v2-only
    on: scanned
    then: [{ set: { v2: true } }]
`);

beforeAll(async () => {
  engine = await startTestEngine(v1, { registry: true });
});
afterAll(async () => {
  await engine?.stop();
});

/** An entity with two events handled; returns its handle and state. */
async function liveEntity() {
  const team = uniqueName('t');
  await engine.delivery.publish([scan(team, 'cp-1'), scan(team, 'cp-2')]);
  const handle = engine.client.workflow.getHandle(`team/${team}`);
  return { team, handle, state: await handle.query(stateQuery) };
}

async function historyTypes(workflowId: string): Promise<proto.temporal.api.enums.v1.EventType[]> {
  const history = await engine.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).map((e) => e.eventType ?? EventType.EVENT_TYPE_UNSPECIFIED);
}

describe('operator input is validated before it is accepted', () => {
  it('refuses migrate to a version the deployment does not have; the entity runs on, unchanged', async () => {
    const { handle, state } = await liveEntity();
    const refused = await handle
      .executeUpdate(migrateUpdate, { args: [{ configVersion: 'deadbeefdeadbeef' }] })
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String((refused as Error).cause)).toMatch(/Config version deadbeefdeadbeef is not known/);
    // The entity keeps going on its version, through a continue-as-new or not.
    await engine.delivery.publish([scan(state.key, 'cp-3')]);
    const after = await handle.query(stateQuery);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect(after.configVersion).toBe(v1.version);
    expect(after.state.found).toEqual(['cp-1', 'cp-2', 'cp-3']);
  });

  it('refuses a malformed version, an unknown dead letter and a malformed publish without writing history', async () => {
    const { handle, state } = await liveEntity();
    const before = (await historyTypes(handle.workflowId)).length;
    const updatesIn = async () =>
      (await historyTypes(handle.workflowId))
        .slice(before)
        .filter(
          (t) =>
            t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED ||
            t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
        );
    await expect(
      handle.executeUpdate(migrateUpdate, { args: [{ configVersion: 'no such version!' }] }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    const redrive = await handle
      .executeUpdate(redriveUpdate, { args: [{ deadLetterId: 'dl-404' }] })
      .catch((err: unknown) => err);
    expect(String((redrive as Error).cause)).toMatch(/no dead letter "dl-404" .*no open dead letters/);
    const publish = await handle
      .executeUpdate(publishUpdate, { args: [{ events: [{ id: 'x' } as unknown as EngineEvent] }] })
      .catch((err: unknown) => err);
    expect(String((publish as Error).cause)).toMatch(/events\[0\]\.source must be a non-empty string/);
    // Rejected by validators: none of them was accepted into the entity's history.
    expect(await updatesIn()).toEqual([]);
    expect(await handle.query(stateQuery)).toEqual(state);
    expect((await handle.describe()).status.name).toBe('RUNNING');
  });

  it('ignores a malformed signal with a log line instead of failing the entity', async () => {
    const { handle, team } = await liveEntity();
    await handle.signal(eventSignal, { events: 'not a list' } as never);
    await handle.signal(eventSignal, { events: [null, { id: 1 }] } as never);
    await engine.delivery.publish([scan(team, 'cp-3')]);
    expect((await handle.query(stateQuery)).state.found).toEqual(['cp-1', 'cp-2', 'cp-3']);
    const types = await historyTypes(handle.workflowId);
    expect(types).not.toContain(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    expect((await handle.describe()).status.name).toBe('RUNNING');
  });
});

describe('what a worker cannot do fails the workflow task, which retries; the workflow never fails', () => {
  it('a config version no worker has: the entity waits (log, metric) and goes on once a worker has it', async () => {
    const missing = async () =>
      (await engineMetricsRegistry.getSingleMetric(CONFIG_VERSION_MISSING_METRIC)?.get())?.values.find(
        (v) => v.labels.version === v2.version,
      )?.value ?? 0;
    const countBefore = await missing();
    // A deployment of its own: a v1 worker, replaced below by one that has v2.
    const first = await startTestEngine(v1, { registry: true });
    const team = uniqueName('t');
    const handle = await engine.client.workflow.signalWithStart(ENTITY_WORKFLOW_TYPE, {
      workflowId: `team/${team}`,
      taskQueue: first.taskQueue,
      args: [{ entityType: 'team', key: team, configVersion: v2.version } satisfies EntityWorkflowInput],
      signal: eventSignal,
      signalArgs: [{ events: [scan(team, 'cp-1')] }],
    });
    await eventually(
      () => historyTypes(handle.workflowId),
      (types) => types.includes(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED),
      { timeoutMs: 30_000, what: 'a failed workflow task' },
    );
    expect(await missing()).toBeGreaterThan(countBefore);
    expect((await handle.describe()).status.name).toBe('RUNNING');

    // Deploying a worker that has v2 records it in Temporal; the entity's retried task then loads it.
    await first.stop();
    const second = await startTestEngine(v2, { registry: true, taskQueue: first.taskQueue });
    try {
      const view = await eventually(
        () => handle.query(stateQuery).catch(() => undefined),
        (v) => v?.eventCount === 1,
        { timeoutMs: 60_000, intervalMs: 500, what: 'the entity handling its event on v2' },
      );
      expect(view?.configVersion).toBe(v2.version);
      expect(view?.state).toMatchObject({ found: ['cp-1'], v2: true });
      expect((await handle.describe()).status.name).toBe('RUNNING');
    } finally {
      await second.stop();
    }
  }, 120_000);

  it('a corrupted carried state: the task fails and retries, the workflow stays running', async () => {
    const team = uniqueName('t');
    const handle = await engine.client.workflow.start(ENTITY_WORKFLOW_TYPE, {
      workflowId: `team/${team}`,
      taskQueue: engine.taskQueue,
      args: [{ entityType: 'team', key: team, carried: { machine: 'garbage' } as never }],
    });
    await eventually(
      () => historyTypes(handle.workflowId),
      (types) => types.includes(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED),
      { timeoutMs: 30_000, what: 'a failed workflow task' },
    );
    const history = await handle.fetchHistory();
    const failed = history.events?.find((e) => e.workflowTaskFailedEventAttributes);
    expect(failed?.workflowTaskFailedEventAttributes?.failure?.message).toMatch(/carried into team\/.* is malformed/);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('test cleanup');
  });
});

describe('config versions live in Temporal', () => {
  it('records each version once and reads it back from any process', async () => {
    const ctx = await temporalTestContext();
    const registry = new TemporalConfigRegistry(ctx.client, engine.taskQueue);
    await registry.publish(v1);
    await registry.publish(v1);
    expect(await registry.read(v1.version)).toEqual(v1);
    expect(await registry.read('0000000000000000')).toBeUndefined();
    const listed = await eventually(
      () => registry.list(),
      (list) => list.some((v) => v.version === v1.version),
      { timeoutMs: 20_000, what: 'the version listed through visibility' },
    );
    expect(listed.filter((v) => v.version === v1.version)).toHaveLength(1);
  });
});
