/**
 * Issue 22, workflow actions, against the dev server: a rule starts the example's own prize-fulfilment workflow
 * (a worker of its own, on its own task queue), another rule signals it, and its completion or failure comes back
 * to the team as an event — once, also when the engine's workers restart while it runs. Starting is idempotent, and
 * the Web UI links both ways (the started workflow's memo names the entity; the entity's memo lists it).
 */
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileConfigText } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { eventsQuery, stateQuery } from '../../src/contract/messages.js';
import { simulate } from '../../src/rules/simulate.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { eventually } from '../reliability/harness/eventually.js';
import { startTestEngine, temporalTestContext, uniqueName, type TestEngine } from '../helpers/temporal.js';

const prizeQueue = uniqueName('prizes');

const yaml = `
name: workflow-actions
entities:
  team: { key: data.teamId, initial: { trackingId: null } }
sources: { game: { auth: none } }
events:
  hunt.finished: { source: game, entity: team, schema: { type: object, required: [teamId] } }
  prize.packed: { source: game, entity: team, schema: { type: object, required: [teamId, carrier] } }
  prize.shipped:
    entity: team
    reduce: [ { set: { trackingId: '{{ data.result.trackingId }}', shippedBy: '{{ data.workflowId }}' } } ]
  prize.failed:
    entity: team
    reduce: [ { set: { prizeError: '{{ data.error.message }}', prizeTimedOut: '{{ data.timedOut }}' } } ]
rules:
  - id: fulfil-prize
    on: hunt.finished
    then:
      - start:
          workflow: prizeFulfilment
          taskQueue: ${prizeQueue}
          id: 'prize-{{ entity.key }}'
          args: [ { team: '{{ entity.key }}', prize: golden-compass, unavailable: '{{ has(data.unavailable) && data.unavailable }}' } ]
          result: { completed: prize.shipped, failed: prize.failed }
          timeout: 2m
  - id: packed
    on: prize.packed
    then:
      - signal: { workflowId: 'prize-{{ entity.key }}', signal: packed, args: [ { carrier: '{{ data.carrier }}' } ] }
`;

let config: CompiledConfig;
let engine: TestEngine;
let prizeWorker: Worker;
let prizeRun: Promise<void>;

const event = (type: string, data: Record<string, unknown>): EngineEvent => ({
  id: uniqueName('evt'),
  source: 'game',
  type,
  specversion: '1.0',
  data: data as EngineEvent['data'],
});

beforeAll(async () => {
  const compiled = compileConfigText(yaml, 'workflow-actions.yaml');
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
  config = compiled.config;
  const ctx = await temporalTestContext();
  prizeWorker = await Worker.create({
    connection: ctx.nativeConnection,
    namespace: ctx.namespace,
    taskQueue: prizeQueue,
    workflowsPath: fileURLToPath(
      new URL('../../examples/treasure-hunt/workflows/prize-fulfilment.ts', import.meta.url),
    ),
  });
  prizeRun = prizeWorker.run();
  engine = await startTestEngine(config);
}, 120_000);

afterAll(async () => {
  await engine?.stop();
  prizeWorker?.shutdown();
  await prizeRun;
});

describe('start and signal workflows from rules', () => {
  it('a started workflow completes and is reported once, across a restart of the engine workers while it runs', async () => {
    const team = uniqueName('owls');
    await engine.delivery.publish([event('hunt.finished', { teamId: team })]);
    const prize = engine.client.workflow.getHandle(`prize-${team}`);
    await eventually(
      () =>
        prize.describe().then(
          (d) => d.status.name,
          () => 'NOT_STARTED',
        ),
      (status) => status === 'RUNNING',
      { what: 'the prize workflow started' },
    );
    // The engine's workers stop while the prize workflow waits (its watch in flight), and come back.
    const taskQueue = engine.taskQueue;
    await engine.stop();
    engine = await startTestEngine(config, { taskQueue });

    // The warehouse packed it: the rule signals the running workflow.
    await engine.delivery.publish([event('prize.packed', { teamId: team, carrier: 'dhl' })]);
    const entity = engine.client.workflow.getHandle(`team/${team}`);
    const view = await eventually(
      () => entity.query(stateQuery),
      (v) => v.state.trackingId !== null,
      { what: 'the shipment reported', timeoutMs: 90_000 },
    );
    expect(view.state).toMatchObject({ trackingId: `trk-${team}-dhl`, shippedBy: `prize-${team}` });
    const description = await prize.describe();
    expect(description.status.name).toBe('COMPLETED');
    // Web UI links: the started workflow names the entity, the entity lists the workflow it started.
    expect(description.memo?.startedBy).toMatchObject({ entity: `team/${team}`, ruleId: 'fulfil-prize' });
    expect((await entity.describe()).memo?.startedWorkflows).toEqual([`prize-${team}`]);
    // Reported once, though the watch was resumed by another worker.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const shipped = (await entity.query(eventsQuery)).filter((e) => e.type === 'prize.shipped');
    expect(shipped).toHaveLength(1);
    let runs = 0;
    for await (const _ of engine.client.workflow.list({ query: `WorkflowId = "prize-${team}"` })) runs++;
    expect(runs).toBe(1);
  }, 150_000);

  it('a failing workflow comes back as the failed event, once', async () => {
    const team = uniqueName('bees');
    await engine.delivery.publish([event('hunt.finished', { teamId: team, unavailable: true })]);
    const entity = engine.client.workflow.getHandle(`team/${team}`);
    const view = await eventually(
      () => entity.query(stateQuery),
      (v) => v.state.prizeError !== undefined,
      { what: 'the failure reported', timeoutMs: 60_000 },
    );
    expect(view.state).toMatchObject({ prizeError: 'prize "golden-compass" is out of stock', prizeTimedOut: false });
    const failed = (await entity.query(eventsQuery)).filter((e) => e.type === 'prize.failed');
    expect(failed).toHaveLength(1);
  }, 90_000);

  it('the simulator reports a started workflow as its stub says', () => {
    const sim = simulate(config, [event('hunt.finished', { teamId: 'sim' })], {
      responses: { 'workflow:prizeFulfilment': { body: { trackingId: 'trk-sim' } } },
    });
    expect(sim.entities['team/sim']?.state).toMatchObject({ trackingId: 'trk-sim', shippedBy: 'prize-sim' });
    expect(sim.steps.map((s) => `${s.kind} ${s.eventType}`)).toEqual(['event hunt.finished', 'result prize.shipped']);
    // `pending`: still running when the simulation ends, as a workflow no worker has finished yet.
    const running = simulate(config, [event('hunt.finished', { teamId: 'sim' })], {
      responses: { 'workflow:prizeFulfilment': { pending: true } },
    });
    expect(running.entities['team/sim']?.state).toEqual({ trackingId: null });
    expect(running.steps.map((s) => `${s.kind} ${s.eventType}`)).toEqual(['event hunt.finished']);
  });
});
