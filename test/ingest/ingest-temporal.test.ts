/**
 * End to end against the shared Temporal dev server and real engine workers: HTTP ingest, the SDK and
 * the HTTP sender deliver into entity workflows; state, traces and dedupe come back out.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { EntityDelivery } from '../../src/client/delivery.js';
import { createEngineClient } from '../../src/client/engine-client.js';
import type { EngineClient } from '../../src/client/engine-client.js';
import { EntityNotRunningError } from '../../src/client/entity-not-running-error.js';
import { EventRejectedError } from '../../src/client/event-rejected-error.js';
import { reviveEntity } from '../../src/client/revive-entity.js';
import { createHttpSender } from '../../src/client/http-sender.js';
import { buildIngestServer } from '../../src/ingest/ingest-server.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { startTestEngine, temporalTestContext, uniqueName } from '../helpers/temporal.js';
import type { TestEngine } from '../helpers/temporal.js';
import {
  CE_BATCH,
  CE_JSON,
  ENV,
  PAYMENTS_SECRET,
  SCANNER_KEY,
  fixtureConfig,
  payment,
  scan,
  webhookHeaders,
} from './ingest-fixture.js';

const config = fixtureConfig();
const scannerAuth = { 'x-api-key': SCANNER_KEY };

describe('ingest and SDK against a real Temporal server', () => {
  let engine: TestEngine;
  let delivery: EntityDelivery;
  let app: FastifyInstance;
  let address: string;
  let sdk: EngineClient;

  beforeAll(async () => {
    engine = await startTestEngine(config, { env: ENV });
    const ctx = await temporalTestContext();
    delivery = new EntityDelivery({ client: ctx.client, taskQueue: engine.taskQueue, config, coalesceWindowMs: 5 });
    app = buildIngestServer({ config, delivery, client: ctx.client, logger: pino({ level: 'silent' }), env: ENV });
    address = await app.listen({ host: '127.0.0.1', port: 0 });
    sdk = createEngineClient({ connection: ctx.connection, taskQueue: engine.taskQueue, config });
  });
  afterAll(async () => {
    await app?.close();
    await sdk?.close();
    await engine?.stop();
  });

  const team = () => uniqueName('team');
  const stateOf = async (key: string) => {
    const res = await app.inject(`/entities/team/${key}`);
    return res.statusCode === 200 ? res.json<{ eventCount: number; state: Record<string, unknown> }>() : undefined;
  };

  it('takes a structured event over HTTP: 202, then the entity holds it', async () => {
    const key = team();
    const event = scan({ data: { teamId: key, checkpoint: 'cp-1' } });
    const res = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { ...CE_JSON, ...scannerAuth },
      payload: JSON.stringify(event),
    });
    expect(res.statusCode).toBe(202);
    expect(res.json().workflowId).toBe(`team/${key}`);
    await expect.poll(async () => (await stateOf(key))?.state.found, { timeout: 20_000 }).toEqual(['cp-1']);
    const events = (await app.inject(`/entities/team/${key}/events`)).json();
    expect(events).toEqual([expect.objectContaining({ id: event.id, status: 'accepted' })]);
  });

  it('waits for the answer with ?wait=true, and a re-delivered id is a duplicate', async () => {
    const key = team();
    const event = payment({ data: { teamId: key, amount: 40 } });
    const send = () => {
      const body = JSON.stringify(event);
      return fetch(`${address}/events?wait=true`, {
        method: 'POST',
        headers: { ...CE_JSON, ...webhookHeaders(body) },
        body,
      });
    };
    const first = await send();
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ id: event.id, status: 'accepted', fired: ['note-payment'] });
    const again = await send();
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: 'duplicate' });
    const explain = (await app.inject(`/entities/team/${key}/explain?eventId=${event.id}`)).json();
    expect(explain.map((t: { status: string }) => t.status)).toEqual(['accepted', 'duplicate']);
    expect(explain[0].verdicts).toEqual(
      expect.arrayContaining([expect.objectContaining({ ruleId: 'note-payment', fired: true })]),
    );
  });

  it('coalesces concurrent requests for one entity into fewer signals, answering each', async () => {
    const key = team();
    const before = delivery.stats.signals;
    const events = Array.from({ length: 20 }, (_, i) => scan({ data: { teamId: key, checkpoint: `cp-${i}` } }));
    const answers = await Promise.all(
      events.map((event) =>
        fetch(`${address}/events`, {
          method: 'POST',
          headers: { ...CE_JSON, ...scannerAuth },
          body: JSON.stringify(event),
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(events.map(() => 202));
    expect(delivery.stats.signals - before).toBeLessThan(20);
    await expect.poll(async () => (await stateOf(key))?.eventCount, { timeout: 20_000 }).toBe(20);
  });

  it('takes a batch for several entities', async () => {
    const [a, b] = [team(), team()];
    const events = [
      scan({ data: { teamId: a, checkpoint: 'cp-1' } }),
      scan({ data: { teamId: b, checkpoint: 'cp-1' } }),
      scan({ data: { teamId: a, checkpoint: 'cp-2' } }),
    ];
    const res = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { ...CE_BATCH, ...scannerAuth },
      payload: JSON.stringify(events),
    });
    expect(res.statusCode).toBe(202);
    await expect.poll(async () => (await stateOf(a))?.state.found, { timeout: 20_000 }).toEqual(['cp-1', 'cp-2']);
    await expect.poll(async () => (await stateOf(b))?.eventCount, { timeout: 20_000 }).toBe(1);
  });

  it('signals a running entity plainly; a terminated one refuses events (503) until `hunt revive`, nothing lost', async () => {
    const key = team();
    const scanned = (checkpoint: string) => scan({ data: { teamId: key, checkpoint } }) as EngineEvent;
    const before = { ...delivery.stats };
    await delivery.send([scanned('cp-1')]);
    await delivery.send([scanned('cp-2')]);
    await expect.poll(async () => (await stateOf(key))?.eventCount, { timeout: 20_000 }).toBe(2);
    expect(delivery.stats.signalsWithStart - before.signalsWithStart).toBe(1);
    const handle = delivery.client.workflow.getHandle(`team/${key}`);
    const { runId: terminatedRun } = await handle.describe();
    await handle.terminate('test: an operator terminated the entity by hand');

    // The SDK path refuses with a retryable error, and so does HTTP (503 + Retry-After): nothing acknowledged.
    const refused = await delivery.send([scanned('cp-3')]).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(EntityNotRunningError);
    expect(refused).toMatchObject({ code: 'ENTITY_NOT_RUNNING', status: 'TERMINATED', retryable: true });
    const res = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { ...CE_JSON, ...scannerAuth },
      payload: JSON.stringify(scan({ id: `${key}-cp-3`, data: { teamId: key, checkpoint: 'cp-3' } })),
    });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.json()).toMatchObject({ code: 'ENTITY_NOT_RUNNING' });
    expect(res.json<{ detail: string }>().detail).toContain(`hunt revive team/${key}`);
    expect((await handle.describe()).status.name).toBe('TERMINATED');

    // Revived from its last state: the next delivery goes into the same entity, its history intact.
    const revived = await reviveEntity(delivery.client, `team/${key}`);
    expect(revived).toMatchObject({ status: 'TERMINATED', closedRunId: terminatedRun });
    await delivery.send([scanned('cp-3')]);
    await expect
      .poll(async () => (await stateOf(key))?.state.found, { timeout: 20_000 })
      .toEqual(['cp-1', 'cp-2', 'cp-3']);
    expect((await handle.describe()).runId).toBe(revived.runId);
    await expect(reviveEntity(delivery.client, `team/${key}`)).rejects.toThrow(/is running/);
  });

  it('answers 404 for an entity that does not exist, and is ready', async () => {
    expect((await app.inject(`/entities/team/${team()}`)).statusCode).toBe(404);
    expect((await app.inject('/readyz')).statusCode).toBe(200);
  });

  it('SDK: publish validates, delivers and answers; getState and explain read back', async () => {
    const key = team();
    const result = await sdk.publish({
      type: 'checkpoint.scanned',
      source: 'scanners',
      data: { teamId: key, checkpoint: 'cp-7' },
      id: 'sdk-1',
    });
    expect(result).toMatchObject({ eventId: 'sdk-1', status: 'accepted' });
    const receipt = await sdk.send({
      type: 'checkpoint.scanned',
      source: 'scanners',
      data: { teamId: key, checkpoint: 'cp-8' },
    });
    expect(receipt.workflowId).toBe(`team/${key}`);
    await expect
      .poll(async () => (await sdk.getState(`team/${key}`)).state.found, { timeout: 20_000 })
      .toEqual(['cp-7', 'cp-8']);
    expect(await sdk.explain({ type: 'team', key }, 'sdk-1')).toEqual([expect.objectContaining({ eventId: 'sdk-1' })]);
    const batch = await sdk.publishBatch([
      { type: 'checkpoint.scanned', source: 'scanners', data: { teamId: key, checkpoint: 'cp-9' }, id: 'sdk-2' },
      { type: 'checkpoint.scanned', source: 'scanners', data: { teamId: key, checkpoint: 'cp-7' }, id: 'sdk-1' },
    ]);
    expect(batch.map((r) => r.status)).toEqual(['accepted', 'duplicate']);
    await expect(
      sdk.publish({ type: 'checkpoint.scanned', source: 'scanners', data: { teamId: key } }),
    ).rejects.toBeInstanceOf(EventRejectedError);
  });

  it('HTTP sender: signs Standard Webhooks, and a replayed message counts as a duplicate', async () => {
    const key = team();
    const sender = createHttpSender({ url: address, source: 'payments', secret: PAYMENTS_SECRET, wait: true });
    const event = { type: 'payment.succeeded', id: uniqueName('pay'), data: { teamId: key, amount: 12 } };
    const first = await sender.send(event);
    expect(first).toMatchObject({ status: 200, duplicate: false, body: { status: 'accepted' } });
    const replay = await sender.send(event);
    expect(replay.duplicate).toBe(true);
  });
});
