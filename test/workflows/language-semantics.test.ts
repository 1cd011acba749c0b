/**
 * Issue 16 through Temporal: an absence rule cancelled by any of several events, and its `if` checked at the
 * deadline, in the entity workflow on the dev server — and the simulator agreeing on the same input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileConfigText } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { simulate } from '../../src/rules/simulate.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import { tracesQuery } from '../../src/contract/messages.js';
import { startTestEngine, uniqueName, type TestEngine } from '../helpers/temporal.js';

const yaml = `
name: incident-escalation
entities:
  incident: { key: data.incidentId, initial: { resolved: false } }
sources: { pager: { auth: none } }
events:
  incident.raised: { source: pager, entity: incident, schema: { type: object, required: [incidentId] } }
  incident.acknowledged: { source: pager, entity: incident, schema: { type: object, required: [incidentId] } }
  incident.resolved:
    source: pager
    entity: incident
    schema: { type: object, required: [incidentId] }
    reduce: [ { set: { resolved: true } } ]
  incident.muted:
    source: pager
    entity: incident
    schema: { type: object, required: [incidentId] }
    reduce: [ { set: { resolved: true } } ]
connectors:
  mailer: { http: { url: '{{ env.MAILER_URL }}' }, retry: { maximumAttempts: 2, initialInterval: 100ms } }
rules:
  - id: escalate
    on: incident.raised
    if: '!state.resolved'
    unless: { event: [incident.acknowledged, incident.resolved], window: 1500ms }
    then:
      - call: mailer
        path: /escalate
        body: { incident: '{{ entity.key }}' }
`;

let sandbox: Sandbox;
let engine: TestEngine;
let config: CompiledConfig;

const ev = (type: string, incidentId: string): EngineEvent => ({
  id: uniqueName('evt'),
  source: 'pager',
  type,
  specversion: '1.0',
  data: { incidentId },
});

const escalations = (incident: string) =>
  sandbox.requests().filter((r) => r.path.endsWith('/escalate') && r.body.includes(`"${incident}"`));

async function settled(incident: string): Promise<void> {
  // The deadline is 1.5 s after the raise; wait until the timer's trace is there.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const traces = await engine.client.workflow.getHandle(`incident/${incident}`).query(tracesQuery, {});
    if (traces.some((t) => t.cause === 'timer') || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  sandbox = await startSandbox({ systems: ['mailer'] });
  const compiled = compileConfigText(yaml, 'incidents.yaml');
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
  config = compiled.config;
  engine = await startTestEngine(config, { env: { MAILER_URL: sandbox.url('mailer') } });
});
afterAll(async () => {
  await engine?.stop();
  await sandbox?.close();
});

describe('unless with several cancelling events, if at the deadline (workflow and simulator)', () => {
  it('any listed event cancels; a condition false at the deadline stops it; otherwise it escalates', async () => {
    const [cancelled, muted, quiet] = [uniqueName('inc'), uniqueName('inc'), uniqueName('inc')];
    const inputs = [
      [ev('incident.raised', cancelled), ev('incident.resolved', cancelled)],
      [ev('incident.raised', muted), ev('incident.muted', muted)],
      [ev('incident.raised', quiet)],
    ];
    for (const events of inputs) await engine.delivery.publish(events);

    await settled(quiet);
    const deadline = Date.now() + 20_000;
    while (escalations(quiet).length === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    await settled(muted);
    expect(escalations(quiet)).toHaveLength(1);
    expect(escalations(cancelled)).toHaveLength(0);
    expect(escalations(muted)).toHaveLength(0);
    const mutedTraces = await engine.client.workflow.getHandle(`incident/${muted}`).query(tracesQuery, {});
    expect(mutedTraces.find((t) => t.cause === 'timer')?.verdicts[0]).toMatchObject({ clause: 'if', fired: false });

    // The simulator, same events (each batch at the same instant), fires for the same incidents only.
    const result = simulate(config, inputs.flat());
    const fired = result.steps.filter((s) => s.fired.includes('escalate')).map((s) => s.entity);
    expect(fired).toEqual([`incident/${quiet}`]);
  }, 60_000);
});
