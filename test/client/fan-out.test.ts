/**
 * One event reaching several entities, on the real server: an alert is delivered to its incident and to its
 * service (`alsoReaches`), through the client SDK and through HTTP ingest; each entity folds it once and
 * dedupes it itself; the storm rule runs in the service only, and its emit reaches the service through the
 * engine's emit activity.
 */
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngineClient, type EngineClient } from '../../src/client/engine-client.js';
import { loadCompiledConfig } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { firingsQuery, stateQuery } from '../../src/contract/messages.js';
import { buildIngestServer } from '../../src/ingest/ingest-server.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import { startTestEngine, temporalTestContext, uniqueName, type TestEngine } from '../helpers/temporal.js';

let config: CompiledConfig;
let sandbox: Sandbox;
let engine: TestEngine;
let sdk: EngineClient;
let app: FastifyInstance;
let env: Record<string, string>;

beforeAll(async () => {
  config = await loadCompiledConfig('examples/incidents/incidents.yaml');
  sandbox = await startSandbox({ systems: ['pager'] });
  env = { MONITORING_API_KEY: 'monitoring-key', ONCALL_API_KEY: 'oncall-key', PAGER_URL: sandbox.url('pager') };
  engine = await startTestEngine(config, { env });
  const ctx = await temporalTestContext();
  sdk = createEngineClient({ connection: ctx.connection, taskQueue: engine.taskQueue, config });
  app = buildIngestServer({
    config,
    delivery: engine.delivery,
    client: ctx.client,
    logger: pino({ level: 'silent' }),
    env,
  });
}, 60_000);
afterAll(async () => {
  await app?.close();
  await sdk?.close();
  await engine?.stop();
  await sandbox?.close();
});

const alert = (id: string, incidentId: string, service: string, severity = 4): EngineEvent => ({
  id,
  source: 'monitoring',
  type: 'alert.fired',
  specversion: '1.0',
  data: { incidentId, service, severity },
});

const stateOf = (workflowId: string) =>
  engine.client.workflow
    .getHandle(workflowId)
    .query(stateQuery)
    .catch(() => undefined);

describe('an event that reaches several entities, through Temporal', () => {
  it('SDK publish: both entities accept it and fold it with their own reducers; again, both say duplicate', async () => {
    const incident = uniqueName('inc');
    const service = uniqueName('svc');
    const event = alert(uniqueName('a'), incident, service);
    const first = await sdk.publish(event);
    expect(first).toMatchObject({ eventId: event.id, status: 'accepted', fired: [] });
    expect(first.reached).toEqual([
      expect.objectContaining({ workflowId: `incident/${incident}`, status: 'accepted' }),
      expect.objectContaining({ workflowId: `service/${service}`, status: 'accepted' }),
    ]);
    expect((await stateOf(`incident/${incident}`))?.state).toEqual({
      alerts: 1,
      acknowledged: false,
      resolved: false,
      escalated: false,
    });
    expect((await stateOf(`service/${service}`))?.state).toEqual({ alerts: 1, incidents: [incident], storm: false });

    const again = await sdk.publish(event);
    expect(again.status).toBe('duplicate');
    expect(again.reached?.map((r) => r.status)).toEqual(['duplicate', 'duplicate']);
    expect((await stateOf(`service/${service}`))?.eventCount).toBe(1);
  });

  it('SDK send: the receipt lists every entity, and each gets the event once', async () => {
    const incident = uniqueName('inc');
    const service = uniqueName('svc');
    const receipt = await sdk.send(alert(uniqueName('a'), incident, service));
    expect(receipt.workflowId).toBe(`incident/${incident}`);
    expect(receipt.reached?.map((r) => r.workflowId)).toEqual([`incident/${incident}`, `service/${service}`]);
    await expect.poll(async () => (await stateOf(`service/${service}`))?.eventCount, { timeout: 20_000 }).toBe(1);
    await expect.poll(async () => (await stateOf(`incident/${incident}`))?.eventCount, { timeout: 20_000 }).toBe(1);
  });

  it('HTTP ingest: 202 names both entities; with ?wait=true each entity’s answer; a missing key is refused whole', async () => {
    const incident = uniqueName('inc');
    const service = uniqueName('svc');
    const post = (event: unknown, query = '') =>
      app.inject({
        method: 'POST',
        url: `/events${query}`,
        headers: { 'content-type': 'application/cloudevents+json', 'x-api-key': env.MONITORING_API_KEY! },
        payload: JSON.stringify(event),
      });
    const event = alert(uniqueName('a'), incident, service);
    const sent = await post(event);
    expect(sent.statusCode).toBe(202);
    expect(sent.json().reached.map((r: { workflowId: string }) => r.workflowId)).toEqual([
      `incident/${incident}`,
      `service/${service}`,
    ]);
    const waited = await post(event, '?wait=true');
    expect(waited.statusCode).toBe(200);
    expect(waited.json()).toMatchObject({
      status: 'duplicate',
      reached: [
        { workflowId: `incident/${incident}`, status: 'duplicate' },
        { workflowId: `service/${service}`, status: 'duplicate' },
      ],
    });

    const noService = { ...alert(uniqueName('a'), incident, 'x'), data: { incidentId: incident, severity: 2 } };
    const refused = await post(noService);
    expect(refused.statusCode).toBe(422);
    expect((await stateOf(`incident/${incident}`))?.eventCount).toBe(1);
  });

  it('runs the storm rule in the service only: its emit folds into the service and the pager is called once', async () => {
    const service = uniqueName('svc');
    const incidents = [uniqueName('inc'), uniqueName('inc'), uniqueName('inc')];
    for (const [i, incident] of incidents.entries()) await sdk.publish(alert(`${service}-a${i}`, incident, service));
    await expect
      .poll(async () => (await stateOf(`service/${service}`))?.state, { timeout: 20_000 })
      .toEqual({ alerts: 3, incidents, storm: true });
    await expect
      .poll(() => sandbox.requests().filter((r) => r.body.includes(`"storm":"${service}"`)).length, { timeout: 20_000 })
      .toBe(1);
    const firings = await engine.client.workflow.getHandle(`service/${service}`).query(firingsQuery);
    expect(firings.map((f) => f.ruleId)).toEqual(['storm']);
    for (const incident of incidents) {
      const onIncident = await engine.client.workflow.getHandle(`incident/${incident}`).query(firingsQuery);
      expect(onIncident.map((f) => f.ruleId)).not.toContain('storm');
    }
  });
});
