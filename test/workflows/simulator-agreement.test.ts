/**
 * `hunt simulate` and the entity workflow run the same EntityMachine: played through Temporal, each
 * reference scenario must end in the same state per entity and the same actions (by idempotency key)
 * as the offline simulation fed the same events at the times the workflows handled them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCompiledConfig } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { loadConnectorModules, type ConnectorModules } from '../../src/config/connector-modules.js';
import { simulate } from '../../src/rules/simulate.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import type { Json } from '../../src/config/compiled.js';
import { firingsQuery, stateQuery, tracesQuery } from '../../src/contract/messages.js';
import type { StubbedAnswer, StubbedResponses } from '../../src/rules/call-stubs.js';
import { PRIZE_WORKFLOW } from '../../src/sandbox/prize-worker.js';
import { isolated, playScenario, readScenario, referenceEnv, routable } from '../helpers/scenario-runner.js';
import { startTestEngine, uniqueName } from '../helpers/temporal.js';

let sandbox: Sandbox;
let config: CompiledConfig;
let connectorModules: ConnectorModules;

beforeAll(async () => {
  sandbox = await startSandbox();
  config = await loadCompiledConfig('examples/treasure-hunt/hunt.yaml');
  // The certificates connector is TypeScript: the worker runs it as it does in production.
  connectorModules = (await loadConnectorModules(config, 'examples/treasure-hunt/hunt.yaml')).modules;
});
afterAll(async () => {
  await sandbox?.close();
});

describe.each(['happy-path', 'stuck-and-locked-out', 'cancelled-hunt'])('scenario %s', (scenario) => {
  it('gives the same state and actions through Temporal as through the simulator', async () => {
    const engine = await startTestEngine(config, {
      env: referenceEnv((s) => sandbox.url(s), sandbox.smtpUrl),
      connectorModules,
    });
    try {
      // Ingest would refuse unroutable events (the simulator shows them as such): both sides get the routable ones.
      const scenarioEvents = await readScenario(`examples/treasure-hunt/scenarios/${scenario}.jsonl`);
      const events = isolated(config, routable(config, scenarioEvents), uniqueName('run'));
      const ids = await playScenario(config, engine.delivery, engine.client, engine.taskQueue, events);
      expect(ids.length).toBeGreaterThan(0);

      const temporal: Record<string, { state: unknown; keys: string[] }> = {};
      const handledAt = new Map<string, number>();
      const resultCalls: Array<{ key: string; connector: string; at: number }> = [];
      for (const id of ids) {
        const handle = engine.client.workflow.getHandle(id);
        const [view, traces, firings] = await Promise.all([
          handle.query(stateQuery),
          handle.query(tracesQuery, {}),
          handle.query(firingsQuery),
        ]);
        for (const trace of traces) if (trace.cause !== 'timer') handledAt.set(trace.eventId, trace.at);
        const keys = firings.flatMap((f) => f.actions.filter((a) => a.onFailure !== true).map((a) => a.idempotencyKey));
        for (const firing of firings)
          for (const a of firing.actions)
            if (a.action.kind === 'call' && a.action.result && a.onFailure !== true)
              resultCalls.push({ key: a.idempotencyKey, connector: a.action.connector, at: firing.at });
        temporal[id] = { state: view.state, keys: keys.sort() };
      }

      // The simulator is fed the answers the partners gave to calls with `result` (the sandbox's payout carries a
      // transfer id, each call its own) and, like the engine here, has no worker finishing the prize workflow.
      const responses: StubbedResponses = { [`workflow:${PRIZE_WORKFLOW}`]: { pending: true } };
      const requests = sandbox.requests();
      for (const planned of resultCalls.sort((a, b) => a.at - b.at)) {
        const answer = requests.find((r) => r.idempotencyKey === planned.key && r.outcome === 'ok');
        if (!answer) throw new Error(`no answer to ${planned.key} in the sandbox`);
        const list = (responses[planned.connector] ??= []) as StubbedAnswer[];
        list.push({ status: answer.status!, body: JSON.parse(answer.response!) as Json });
      }
      const simulated = simulate(
        config,
        events.map((event) => ({ ...event, at: handledAt.get(event.id)! })),
        { horizon: Date.now(), responses },
      );
      const offline: Record<string, { state: unknown; keys: string[] }> = {};
      for (const [id, entity] of Object.entries(simulated.entities)) offline[id] = { state: entity.state, keys: [] };
      for (const step of simulated.steps) {
        if (!step.entity) continue;
        for (const action of step.actions)
          if (action.onFailure !== true) offline[step.entity]!.keys.push(action.idempotencyKey);
      }
      for (const entry of Object.values(offline)) entry.keys.sort();

      expect(Object.keys(offline).sort(), JSON.stringify({ temporal, offline }, null, 1)).toEqual(ids);
      expect(temporal).toEqual(offline);
    } finally {
      await engine.stop();
    }
  }, 120_000);
});
