/**
 * An entity across runs: bounded history through continue-as-new (nothing lost, nothing fired twice),
 * config versions pinned per run and changed only at a continue-as-new boundary (or `migrate`), and the
 * end of an entity.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EntityDelivery } from '../../src/client/delivery.js';
import { migrateEntity } from '../../src/client/migrate-entity.js';
import { compileConfigText } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import { MAX_EVENTS_PER_RUN } from '../../workflows/entity-workflow.js';
import { eventsQuery, stateQuery, type EntityWorkflowInput } from '../../src/contract/messages.js';
import { startTestEngine, temporalTestContext, uniqueName, type TestEngine } from '../helpers/temporal.js';

const configYaml = (greeting: string) => `
name: runs-test
entities:
  counter:
    key: data.id
    initial: { pings: 0 }
sources:
  test: { auth: none }
events:
  ping:
    source: test
    entity: counter
    schema: { type: object, required: [id] }
    reduce: [ { increment: { pings: 1 } } ]
  stop:
    source: test
    entity: counter
    schema: { type: object, required: [id] }
connectors:
  mailer:
    http: { url: '{{ env.MAILER_URL }}', method: POST }
    retry: { initialInterval: 100ms, maximumAttempts: 3 }
rules:
  - id: every-500
    on: ping
    count: { times: 500, window: 1h }
    then:
      - call: mailer
        body: { greeting: ${greeting}, pings: '{{ state.pings }}', entity: '{{ entity.key }}' }
  - id: stop
    on: stop
    then:
      - end: stopped by request
`;

function compile(text: string): CompiledConfig {
  const result = compileConfigText(text, 'runs-test.yaml');
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return result.config;
}

const ping = (entity: string, n: number): EngineEvent => ({
  id: `ping-${n}`,
  source: 'test',
  type: 'ping',
  specversion: '1.0',
  data: { id: entity },
});

let sandbox: Sandbox;
let engine: TestEngine;
let v1: CompiledConfig;
let v2: CompiledConfig;

beforeAll(async () => {
  sandbox = await startSandbox({ systems: ['mailer'] });
  v1 = compile(configYaml('hello'));
  v2 = compile(configYaml('bonjour'));
  engine = await startTestEngine(v1, { env: { MAILER_URL: sandbox.url('mailer') } });
});
afterAll(async () => {
  await engine?.stop();
  await sandbox?.close();
});

/** Every run of a workflow id, newest first, with its history length. */
async function runsOf(workflowId: string) {
  const runs: Array<{ runId: string; historyLength: number; status: string }> = [];
  for await (const wf of engine.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
    runs.push({ runId: wf.runId, historyLength: wf.historyLength ?? 0, status: wf.status.name });
  }
  return runs;
}

describe('continue-as-new', () => {
  it('feeds 25,000 events through several runs: state exact, each action once, every run under 10,000 history events', async () => {
    const entity = uniqueName('c');
    const total = 25_000;
    // 100 events per signal (as ingest coalescing sends them), 5 signals in flight at a time.
    for (let start = 0; start < total; start += 500) {
      await Promise.all(
        [0, 100, 200, 300, 400].map((offset) =>
          engine.delivery.send(Array.from({ length: 100 }, (_, i) => ping(entity, start + offset + i))),
        ),
      );
    }
    // Re-delivery across run boundaries changes nothing, within the dedupe memory (the last 10,000 ids).
    await engine.delivery.send(Array.from({ length: 100 }, (_, i) => ping(entity, total - 9_000 + i * 90)));
    const handle = engine.client.workflow.getHandle(`counter/${entity}`);
    const deadline = Date.now() + 120_000;
    let view = await handle.query(stateQuery);
    while ((view.state.pings !== total || view.pendingActions > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      view = await handle.query(stateQuery);
    }
    expect(view.state.pings).toBe(total);
    expect(view.eventCount).toBe(total);
    const calls = sandbox.requests().filter((r) => r.body.includes(entity));
    expect(calls).toHaveLength(total / 500);
    expect(new Set(calls.map((c) => c.idempotencyKey)).size).toBe(total / 500);
    expect(calls.every((c) => !c.duplicate)).toBe(true);
    const runs = await runsOf(`counter/${entity}`);
    // A run continues as new once it handled MAX_EVENTS_PER_RUN, after handling what was already signalled
    // to it: as many runs as the sender's lead allows, and at least two.
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (const run of runs) expect(run.historyLength).toBeLessThan(10_000);
    const recent = await handle.query(eventsQuery);
    expect(recent.filter((e) => e.status === 'duplicate').length).toBeGreaterThan(0);
  }, 300_000);
});

describe('a piled-up inbox', () => {
  it('is handled before continuing as new, so the next run carries no events (its input stays small)', async () => {
    // 3,000 events wait in the first run's history before any worker polls its task queue.
    const ctx = await temporalTestContext();
    const taskQueue = uniqueName('pile');
    const delivery = new EntityDelivery({ client: ctx.client, taskQueue, config: v1 });
    const entity = uniqueName('p');
    const total = MAX_EVENTS_PER_RUN + 1_000;
    for (let start = 0; start < total; start += 100)
      await delivery.send(Array.from({ length: 100 }, (_, i) => ping(entity, start + i)));
    const late = await startTestEngine(v1, { taskQueue, env: { MAILER_URL: sandbox.url('mailer') } });
    try {
      const handle = ctx.client.workflow.getHandle(`counter/${entity}`);
      await expect
        .poll(async () => (await handle.query(stateQuery)).state.pings, { timeout: 60_000, interval: 500 })
        .toBe(total);
      const runs = await runsOf(`counter/${entity}`);
      const first = runs.at(-1)!;
      const history = await ctx.client.workflow.getHandle(`counter/${entity}`, first.runId).fetchHistory();
      const continued = history.events?.find((e) => e.workflowExecutionContinuedAsNewEventAttributes);
      const [input] = continued!.workflowExecutionContinuedAsNewEventAttributes!.input!.payloads!;
      const carried = defaultPayloadConverter.fromPayload<EntityWorkflowInput>(input!).carried!;
      expect(carried.inbox).toEqual([]);
      expect((await handle.query(stateQuery)).eventCount).toBe(total);
    } finally {
      await late.stop();
    }
  }, 120_000);
});

describe('config versions', () => {
  it('keeps the version a run started with; migrate moves the entity to the current one, state intact', async () => {
    const entity = uniqueName('v');
    const handle = engine.client.workflow.getHandle(`counter/${entity}`);
    await engine.delivery.publish(Array.from({ length: 500 }, (_, i) => ping(entity, i)));
    expect((await handle.query(stateQuery)).configVersion).toBe(v1.version);

    await engine.configStore.publish(v2);
    await engine.delivery.publish(Array.from({ length: 500 }, (_, i) => ping(entity, 500 + i)));
    expect((await handle.query(stateQuery)).configVersion).toBe(v1.version);

    const migrated = await migrateEntity(handle);
    expect(migrated.from).toBe(v1.version);
    let view = await handle.query(stateQuery);
    for (let i = 0; i < 50 && view.configVersion !== v2.version; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      view = await handle.query(stateQuery);
    }
    expect(view.configVersion).toBe(v2.version);
    expect(view.state.pings).toBe(1_000);
    await engine.delivery.publish(Array.from({ length: 500 }, (_, i) => ping(entity, 1_000 + i)));
    const deadline = Date.now() + 30_000;
    let bodies: Array<{ greeting: string }> = [];
    while (bodies.length < 3 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      bodies = sandbox
        .requests()
        .filter((r) => r.body.includes(entity))
        .map((r) => JSON.parse(r.body) as { greeting: string });
    }
    // Two firings under v1 (also the one after publish(v2): the run was pinned), the third under v2.
    expect(bodies.map((b) => b.greeting)).toEqual(['hello', 'hello', 'bonjour']);
    await engine.configStore.publish(v1);
  }, 120_000);
});

describe('the end of an entity', () => {
  it('rejects later events as "entity ended" and answers re-delivered ones as duplicates', async () => {
    const entity = uniqueName('e');
    const handle = engine.client.workflow.getHandle(`counter/${entity}`);
    const [first] = await engine.delivery.publish([ping(entity, 1)]);
    expect(first?.status).toBe('accepted');
    const [stop] = await engine.delivery.publish([
      { id: 'stop-1', source: 'test', type: 'stop', specversion: '1.0', data: { id: entity } },
    ]);
    expect(stop).toMatchObject({ status: 'accepted', fired: ['stop'] });
    const [late] = await engine.delivery.publish([ping(entity, 2)]);
    expect(late).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/ended/) });
    const [again] = await engine.delivery.publish([ping(entity, 1)]);
    expect(again?.status).toBe('duplicate');
    const view = await handle.query(stateQuery);
    expect(view.state.pings).toBe(1);
    expect(view.ended?.reason).toBe('stopped by request');
  });
});
