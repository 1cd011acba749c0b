/**
 * EntityDelivery over a fake Temporal client (isolated unit tests): coalescing per entity, ordering,
 * per-caller answers, and error mapping. The real-server tests are in test/ingest/ingest-temporal.test.ts.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { EntityDelivery } from '../../src/client/delivery.js';
import { EngineUnavailableError, asEngineUnavailable } from '../../src/client/engine-unavailable-error.js';
import { EntityNotRunningError } from '../../src/client/entity-not-running-error.js';
import { EventRejectedError } from '../../src/client/event-rejected-error.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { fixtureConfig } from '../ingest/ingest-fixture.js';

interface Call {
  /** signalWithStart, a plain signal to a running workflow, or update-with-start. */
  kind: 'start' | 'signal' | 'update';
  workflowId: string;
  events: EngineEvent[];
  options: Record<string, unknown>;
}

/** `closed`: workflow ids whose workflow is gone, so a plain signal to them fails as Temporal's would. */
/**
 * `lastRuns`: workflow ids whose last run closed with that status (COMPLETED, TERMINATED, …): a start that
 * refuses to reuse the id fails as Temporal's would, one that allows it starts a new run.
 */
function fakeClient(
  behaviour: { fail?: () => Error; latencyMs?: number; closed?: Set<string>; lastRuns?: Map<string, string> } = {},
) {
  const refuseReuse = (options: Record<string, unknown>) => {
    const id = options.workflowId as string;
    const last = behaviour.lastRuns?.get(id);
    if (last === undefined) return;
    if (options.workflowIdReusePolicy === 'REJECT_DUPLICATE')
      throw new WorkflowExecutionAlreadyStartedError('Workflow execution already started', id, 'entityWorkflow');
    behaviour.lastRuns!.delete(id);
  };
  const calls: Call[] = [];
  const respond = async () => {
    if (behaviour.latencyMs) await new Promise((resolve) => setTimeout(resolve, behaviour.latencyMs));
    if (behaviour.fail) throw behaviour.fail();
  };
  const client = {
    connection: { withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn() },
    workflow: {
      signalWithStart: async (_type: string, options: Record<string, unknown>) => {
        const [{ events }] = options.signalArgs as [{ events: EngineEvent[] }];
        calls.push({ kind: 'start', workflowId: options.workflowId as string, events, options });
        refuseReuse(options);
        behaviour.closed?.delete(options.workflowId as string);
        await respond();
        return {};
      },
      getHandle: (workflowId: string) => ({
        describe: async () => ({ status: { name: behaviour.lastRuns?.get(workflowId) ?? 'RUNNING' } }),
        signal: async (_def: unknown, { events }: { events: EngineEvent[] }) => {
          calls.push({ kind: 'signal', workflowId, events, options: {} });
          await respond();
          if (behaviour.closed?.has(workflowId))
            throw new WorkflowNotFoundError('workflow execution already completed', workflowId, undefined);
        },
      }),
      executeUpdateWithStart: async (
        _def: unknown,
        options: { args: [{ events: EngineEvent[] }]; startWorkflowOperation: { options: Record<string, unknown> } },
      ) => {
        const { events } = options.args[0];
        calls.push({
          kind: 'update',
          workflowId: options.startWorkflowOperation.options.workflowId as string,
          events,
          options: options.startWorkflowOperation.options,
        });
        refuseReuse(options.startWorkflowOperation.options);
        await respond();
        return events.map((e) => ({
          eventId: e.id,
          source: e.source,
          status: 'accepted',
          fired: [`rule-for-${e.id}`],
        }));
      },
    },
  } as unknown as Client;
  return { client, calls };
}

const config = fixtureConfig();
let n = 0;
const event = (teamId = 'red-foxes'): EngineEvent => ({
  specversion: '1.0',
  id: `e${++n}`,
  source: 'scanners',
  type: 'checkpoint.scanned',
  data: { teamId, checkpoint: 'cp-1' },
});

describe('EntityDelivery', () => {
  it('coalesces concurrent sends for one entity into one signal, in order, answering each caller', async () => {
    const { client, calls } = fakeClient();
    const delivery = new EntityDelivery({ client, taskQueue: 'q', config, coalesceWindowMs: 5 });
    const events = Array.from({ length: 20 }, () => event());
    const receipts = await Promise.all(events.map((e) => delivery.send([e])));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.events.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(receipts.map((r) => r[0])).toEqual(
      events.map((e) => ({ eventId: e.id, entity: { type: 'team', key: 'red-foxes' }, workflowId: 'team/red-foxes' })),
    );
    expect(delivery.stats).toEqual({ signals: 1, signalsWithStart: 1, updates: 0, events: 20 });
  });

  it('starts the entity workflow with its input, task queue and search attributes', async () => {
    const { client, calls } = fakeClient();
    await new EntityDelivery({ client, taskQueue: 'hunt-q', config }).send([event('blue-owls')]);
    expect(calls[0]!.options).toMatchObject({
      workflowId: 'team/blue-owls',
      taskQueue: 'hunt-q',
      args: [{ entityType: 'team', key: 'blue-owls' }],
      signal: expect.objectContaining({ name: 'event' }),
    });
    const attributes = calls[0]!.options.typedSearchAttributes as Array<{ key: { name: string }; value: string }>;
    expect(attributes.map((a) => [a.key.name, a.value])).toEqual([
      ['HuntEntityType', 'team'],
      ['HuntEntityKey', 'blue-owls'],
    ]);
  });

  it('starts an entity once: later events are plain signals, and publish sends no search attributes', async () => {
    const { client, calls } = fakeClient();
    const delivery = new EntityDelivery({ client, taskQueue: 'q', config });
    await delivery.send([event('grey-wolves')]);
    await delivery.send([event('grey-wolves')]);
    await delivery.publish([event('grey-wolves')]);
    await delivery.send([event('gold-bees')]);
    expect(calls.map((c) => [c.kind, c.workflowId, c.options.typedSearchAttributes !== undefined])).toEqual([
      ['start', 'team/grey-wolves', true],
      ['signal', 'team/grey-wolves', false],
      ['update', 'team/grey-wolves', false],
      ['start', 'team/gold-bees', true],
    ]);
    expect(delivery.stats).toMatchObject({ signals: 3, signalsWithStart: 2, updates: 1 });
  });

  it('starts the entity again when its workflow has closed since the last delivery', async () => {
    const closed = new Set<string>();
    const { client, calls } = fakeClient({ closed });
    const delivery = new EntityDelivery({ client, taskQueue: 'q', config });
    await delivery.send([event('grey-wolves')]);
    closed.add('team/grey-wolves');
    const late = event('grey-wolves');
    await delivery.send([late]);
    await delivery.send([event('grey-wolves')]);
    expect(calls.map((c) => [c.kind, c.options.typedSearchAttributes !== undefined])).toEqual([
      ['start', true],
      ['signal', false],
      ['start', true],
      ['signal', false],
    ]);
    expect(calls[2]!.events).toEqual([late]);
  });

  it('sends the search attributes again after a failed first delivery', async () => {
    const behaviour: { fail?: () => Error } = { fail: () => new Error('the server said no') };
    const { client, calls } = fakeClient(behaviour);
    const delivery = new EntityDelivery({ client, taskQueue: 'q', config });
    await expect(delivery.send([event('red-foxes')])).rejects.toThrow('the server said no');
    delete behaviour.fail;
    await delivery.send([event('red-foxes')]);
    await delivery.send([event('red-foxes')]);
    expect(calls.map((c) => [c.kind, c.options.typedSearchAttributes !== undefined])).toEqual([
      ['start', true],
      ['start', true],
      ['signal', false],
    ]);
  });

  it('sends one signal per entity, and the events of one call together', async () => {
    const { client, calls } = fakeClient();
    const delivery = new EntityDelivery({ client, taskQueue: 'q', config, coalesceWindowMs: 0 });
    const batch = [event('a'), event('b'), event('a')];
    await delivery.send(batch);
    expect(calls.map((c) => [c.workflowId, c.events.map((e) => e.id)])).toEqual([
      ['team/a', [batch[0]!.id, batch[2]!.id]],
      ['team/b', [batch[1]!.id]],
    ]);
  });

  it('keeps order across signals: events arriving while one is in flight go in the next', async () => {
    const { client, calls } = fakeClient({ latencyMs: 30 });
    const delivery = new EntityDelivery({ client, taskQueue: 'q', config, coalesceWindowMs: 0 });
    const first = event();
    const pending = [delivery.send([first])];
    await new Promise((resolve) => setTimeout(resolve, 10));
    const later = Array.from({ length: 5 }, () => event());
    pending.push(...later.map((e) => delivery.send([e])));
    await Promise.all(pending);
    expect(calls.map((c) => c.events.map((e) => e.id))).toEqual([[first.id], later.map((e) => e.id)]);
  });

  it('splits batches over maxEventsPerSignal', async () => {
    const { client, calls } = fakeClient();
    const delivery = new EntityDelivery({ client, taskQueue: 'q', config, maxEventsPerSignal: 4 });
    await delivery.send(Array.from({ length: 10 }, () => event()));
    expect(calls.map((c) => c.events.length)).toEqual([4, 4, 2]);
  });

  it('publishes with update-with-start (USE_EXISTING) and gives each caller its own result', async () => {
    const { client, calls } = fakeClient();
    const delivery = new EntityDelivery({ client, taskQueue: 'q', config });
    const [a, b] = [event(), event()];
    const [ra, rb] = await Promise.all([delivery.publish([a]), delivery.publish([b])]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.options).toMatchObject({ workflowIdConflictPolicy: 'USE_EXISTING', workflowId: 'team/red-foxes' });
    expect(ra).toEqual([{ eventId: a.id, source: 'scanners', status: 'accepted', fired: [`rule-for-${a.id}`] }]);
    expect(rb[0]!.fired).toEqual([`rule-for-${b.id}`]);
  });

  it('maps an unavailable Temporal to EngineUnavailableError for every waiting caller', async () => {
    const grpcUnavailable = Object.assign(new Error('14 UNAVAILABLE: No connection established'), {
      code: 14,
      details: '',
      metadata: {},
    });
    const { client } = fakeClient({ fail: () => grpcUnavailable });
    const delivery = new EntityDelivery({ client, taskQueue: 'q', config, retryAfterSeconds: 3 });
    const results = await Promise.allSettled([delivery.send([event()]), delivery.publish([event()])]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const reason = (result as PromiseRejectedResult).reason as EngineUnavailableError;
      expect(reason).toBeInstanceOf(EngineUnavailableError);
      expect(reason).toMatchObject({ code: 'ENGINE_UNAVAILABLE', retryable: true, retryAfterSeconds: 3 });
    }
  });

  it('passes other failures through unchanged', async () => {
    const { client } = fakeClient({ fail: () => new TypeError('bug') });
    const delivery = new EntityDelivery({ client, taskQueue: 'q', config });
    await expect(delivery.send([event()])).rejects.toThrow(TypeError);
    expect(
      asEngineUnavailable(Object.assign(new Error('7 PERMISSION_DENIED'), { code: 7, details: '', metadata: {} })),
    ).toBeUndefined();
  });

  it('refuses an event it cannot route, before sending anything', async () => {
    const { client, calls } = fakeClient();
    const delivery = new EntityDelivery({ client, taskQueue: 'q', config });
    await expect(delivery.send([event(), { ...event(), data: {} }])).rejects.toThrow(EventRejectedError);
    await delivery.flush();
    expect(calls).toHaveLength(0);
  });

  it('flush sends what waits in a coalescing window at once', async () => {
    const { client, calls } = fakeClient();
    const delivery = new EntityDelivery({ client, taskQueue: 'q', config, coalesceWindowMs: 60_000 });
    const sent = delivery.send([event()]);
    await delivery.flush();
    expect(calls).toHaveLength(1);
    await sent;
  });

  describe('an entity whose workflow closed', () => {
    const deliveries = (calls: Call[]) => calls.map((c) => `${c.kind}:${String(c.options.workflowIdReusePolicy)}`);

    it('starts a new life only when the entity ended through `end` (its workflow completed)', async () => {
      const { client, calls } = fakeClient({ lastRuns: new Map([['team/red-foxes', 'COMPLETED']]) });
      const delivery = new EntityDelivery({ client, taskQueue: 'q', config });
      await delivery.send([event()]);
      expect(deliveries(calls)).toEqual(['start:REJECT_DUPLICATE', 'start:ALLOW_DUPLICATE']);
    });

    for (const status of ['TERMINATED', 'FAILED', 'CANCELLED', 'TIMED_OUT']) {
      it(`refuses events for an entity whose workflow is ${status}, never reusing its id`, async () => {
        const { client, calls } = fakeClient({ lastRuns: new Map([['team/red-foxes', status]]) });
        const delivery = new EntityDelivery({ client, taskQueue: 'q', config });
        const sent = await delivery.send([event()]).catch((err: unknown) => err);
        expect(sent).toBeInstanceOf(EntityNotRunningError);
        expect(sent).toMatchObject({ code: 'ENTITY_NOT_RUNNING', status, retryAfterSeconds: 60 });
        const published = await delivery.publish([event()]).catch((err: unknown) => err);
        expect(published).toBeInstanceOf(EntityNotRunningError);
        expect(deliveries(calls)).toEqual(['start:REJECT_DUPLICATE', 'update:REJECT_DUPLICATE']);
      });
    }
  });
});
