/**
 * Emit ordering on the real server: an emitted event travels through the emit activity and a signal, so it may
 * arrive after later input. Whatever order the workflow ends up in, its outcome must be one of the outcomes
 * `hunt simulate --interleave` finds for the same events (the incidents example's storm race: the storm rule's
 * `service.storm` emit arriving after the 6th alert lets the storm page twice).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCompiledConfig } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { stateQuery } from '../../src/contract/messages.js';
import { exploreInterleavings, type InterleavingResult } from '../../src/rules/interleavings.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import { startTestEngine, uniqueName, type TestEngine } from '../helpers/temporal.js';

let config: CompiledConfig;
let sandbox: Sandbox;
let engine: TestEngine;

beforeAll(async () => {
  config = await loadCompiledConfig('examples/incidents/incidents.yaml');
  sandbox = await startSandbox({ systems: ['pager'] });
  engine = await startTestEngine(config, {
    env: { MONITORING_API_KEY: 'm', ONCALL_API_KEY: 'o', PAGER_URL: sandbox.url('pager') },
  });
}, 60_000);
afterAll(async () => {
  await engine?.stop();
  await sandbox?.close();
});

/** Six alerts on one service, two per incident, with keys no other test uses. */
function alerts(): { service: string; events: EngineEvent[] } {
  const service = uniqueName('svc');
  const events = Array.from({ length: 6 }, (_, i) => ({
    id: `${service}-a${i + 1}`,
    source: 'monitoring',
    type: 'alert.fired',
    specversion: '1.0' as const,
    data: { incidentId: `${service}-inc${Math.floor(i / 2)}`, service, severity: 4 },
  }));
  return { service, events };
}

/** What the engine did: each entity's state, and the pager calls (by idempotency key) for this service. */
async function observed(service: string, result: InterleavingResult) {
  const ids = Object.keys(result.outcomes[0]!.entities);
  const entities: Record<string, unknown> = {};
  for (const id of ids) entities[id] = (await engine.client.workflow.getHandle(id).query(stateQuery)).state;
  const calls = sandbox
    .requests()
    .filter((r) => r.idempotencyKey?.startsWith(`service/${service}:`))
    .map((r) => r.idempotencyKey!)
    .sort();
  return { entities, calls };
}

function expected(result: InterleavingResult) {
  return result.outcomes.map((o) => ({
    entities: Object.fromEntries(Object.entries(o.entities).map(([id, e]) => [id, e.state])),
    calls: o.actions.filter((a) => a.action.kind === 'call').map((a) => a.idempotencyKey),
  }));
}

/** Waits until the service saw all six alerts and its storm emit(s), and the pager calls settled. */
async function settled(service: string, pages: number): Promise<void> {
  await expect
    .poll(
      async () => {
        const view = await engine.client.workflow.getHandle(`service/${service}`).query(stateQuery);
        return view.state.storm === true && view.eventCount === 6 + pages;
      },
      { timeout: 30_000 },
    )
    .toBe(true);
}

describe('emit ordering through Temporal', () => {
  it('the explorer finds two outcomes for the storm race; the default order pages once', () => {
    const { events } = alerts();
    const result = exploreInterleavings(config, events);
    expect(result.complete).toBe(true);
    expect(expected(result).map((o) => o.calls.length)).toEqual([1, 2]);
  });

  it('emit landed before the 4th alert (waited for): the workflow ends as the default order', async () => {
    const { service, events } = alerts();
    const result = exploreInterleavings(config, events);
    for (const event of events.slice(0, 3)) await engine.delivery.publish([event]);
    await expect
      .poll(async () => (await engine.client.workflow.getHandle(`service/${service}`).query(stateQuery)).state.storm, {
        timeout: 30_000,
      })
      .toBe(true);
    for (const event of events.slice(3)) await engine.delivery.publish([event]);
    await settled(service, 1);
    await expect.poll(() => observed(service, result).then((o) => o.calls.length), { timeout: 20_000 }).toBe(1);
    expect(await observed(service, result)).toEqual(expected(result)[0]);
  });

  it('all six sent at once: whichever order the workflow took, its outcome is one the explorer found', async () => {
    const { service, events } = alerts();
    const result = exploreInterleavings(config, events);
    await Promise.all(events.map((event) => engine.delivery.send([event])));
    // One storm emit if it landed in time, two if not: wait for either, then for the pages to settle.
    await expect
      .poll(
        async () => {
          const view = await engine.client.workflow.getHandle(`service/${service}`).query(stateQuery);
          const pages = sandbox.requests().filter((r) => r.idempotencyKey?.startsWith(`service/${service}:`)).length;
          return view.state.storm === true && view.eventCount - 6 === pages && pages > 0;
        },
        { timeout: 30_000 },
      )
      .toBe(true);
    const seen = await observed(service, result);
    expect(expected(result)).toContainEqual(seen);
  });
});
