/**
 * HTTP tests of the ingest API over a fake deliverer (isolated unit tests: no Temporal behind them;
 * the end-to-end tests against a real dev server live in ingest-temporal.test.ts).
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/rules/types.js';
import { createIngestMetrics } from '../../src/ingest/ingest-metrics.js';
import {
  CE_BATCH,
  CE_JSON,
  PAYMENTS_SECRET,
  SCANNER_KEY,
  hubSignature,
  nextId,
  payment,
  scan,
  testServer,
  webhookHeaders,
} from './ingest-fixture.js';

const scannerAuth = { 'x-api-key': SCANNER_KEY };

describe('POST /events — content modes', () => {
  it('takes a structured event and answers 202 once delivered', async () => {
    const { app, delivery } = testServer();
    const event = scan();
    const res = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { ...CE_JSON, ...scannerAuth },
      payload: JSON.stringify(event),
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({
      id: event.id,
      status: 'accepted',
      workflowId: 'team/red-foxes',
      entity: { type: 'team', key: 'red-foxes' },
    });
    expect(delivery.sent.map((e) => e.id)).toEqual([event.id]);
    expect(delivery.sent[0]).toEqual({ ...event, specversion: '1.0' });
  });

  it('treats plain application/json as structured mode', async () => {
    const { app, delivery } = testServer();
    const res = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/json; charset=utf-8', ...scannerAuth },
      payload: JSON.stringify(scan()),
    });
    expect(res.statusCode).toBe(202);
    expect(delivery.sent).toHaveLength(1);
  });

  it('takes a binary-mode event: ce-* headers, the body is the data', async () => {
    const { app, delivery } = testServer();
    const res = await app.inject({
      method: 'POST',
      url: '/events',
      headers: {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': 'bin-1',
        'ce-source': 'scanners',
        'ce-type': 'checkpoint.scanned',
        'ce-subject': 'checkpoint%20one',
        'ce-time': '2026-05-01T10:00:00.123+02:00',
        ...scannerAuth,
      },
      payload: JSON.stringify({ teamId: 'blue-owls', checkpoint: 'cp-2' }),
    });
    expect(res.statusCode).toBe(202);
    expect(delivery.sent[0]).toEqual<EngineEvent>({
      specversion: '1.0',
      id: 'bin-1',
      source: 'scanners',
      type: 'checkpoint.scanned',
      subject: 'checkpoint one',
      time: '2026-05-01T10:00:00.123+02:00',
      datacontenttype: 'application/json',
      data: { teamId: 'blue-owls', checkpoint: 'cp-2' },
    });
  });

  it('points binary-mode problems at headers and into the body', async () => {
    const { app, delivery } = testServer();
    const res = await app.inject({
      method: 'POST',
      url: '/events',
      headers: {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-source': 'scanners',
        'ce-type': 'checkpoint.scanned',
        ...scannerAuth,
      },
      payload: JSON.stringify({ teamId: 'blue-owls', checkpoint: 'nope' }),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ header: 'ce-id' }),
        expect.objectContaining({ pointer: '/checkpoint' }),
      ]),
    );
    expect(delivery.delivered).toHaveLength(0);
  });

  it('takes a batch and answers per event', async () => {
    const { app, delivery } = testServer();
    const events = [scan(), scan({ data: { teamId: 'blue-owls', checkpoint: 'cp-3' } }), scan()];
    const res = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { ...CE_BATCH, ...scannerAuth },
      payload: JSON.stringify(events),
    });
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body).toMatchObject({ accepted: 3, rejected: 0, unavailable: 0 });
    expect(body.results.map((r: { id: string; status: string }) => [r.id, r.status])).toEqual(
      events.map((e) => [e.id, 'accepted']),
    );
    expect(delivery.sent.map((e) => e.id)).toEqual(events.map((e) => e.id));
  });

  it('waits for the workflow answer with ?wait=true and with Prefer: wait', async () => {
    const { app, delivery } = testServer();
    for (const request of [
      { url: '/events?wait=true', headers: {} },
      { url: '/events', headers: { prefer: 'wait=10' } },
    ]) {
      const event = scan();
      const res = await app.inject({
        method: 'POST',
        url: request.url,
        headers: { ...CE_JSON, ...scannerAuth, ...request.headers },
        payload: JSON.stringify(event),
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ id: event.id, status: 'accepted', fired: ['note-payment'] });
    }
    expect(delivery.published).toHaveLength(2);
    expect(delivery.sent).toHaveLength(0);
  });

  it('answers 503 with Retry-After when Temporal is unavailable, for single events and batches', async () => {
    const { app, delivery } = testServer();
    delivery.unavailable = true;
    const single = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { ...CE_JSON, ...scannerAuth },
      payload: JSON.stringify(scan()),
    });
    expect(single.statusCode).toBe(503);
    expect(single.headers['retry-after']).toBe('7');
    expect(single.headers['content-type']).toContain('application/problem+json');
    expect(single.json().code).toBe('ENGINE_UNAVAILABLE');
    const batch = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { ...CE_BATCH, ...scannerAuth },
      payload: JSON.stringify([scan(), scan()]),
    });
    expect(batch.statusCode).toBe(503);
    expect(batch.headers['retry-after']).toBe('7');
    expect(delivery.delivered).toHaveLength(0);
  });
});

describe('POST /events — authentication', () => {
  it('accepts a Standard Webhooks signature over the raw body', async () => {
    const { app, delivery } = testServer();
    const body = JSON.stringify(payment());
    const res = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { ...CE_JSON, ...webhookHeaders(body) },
      payload: body,
    });
    expect(res.statusCode).toBe(202);
    expect(delivery.sent).toHaveLength(1);
  });

  it('accepts one good signature among several (sender-side rotation)', async () => {
    const { app } = testServer();
    const body = JSON.stringify(payment());
    const headers = webhookHeaders(body);
    const stale = webhookHeaders(body, {
      id: headers['webhook-id'],
      secret: `whsec_${Buffer.from('old-secret-old-secret-old-secret').toString('base64')}`,
    });
    headers['webhook-signature'] = `${stale['webhook-signature']} ${headers['webhook-signature']}`;
    const res = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { ...CE_JSON, ...headers },
      payload: body,
    });
    expect(res.statusCode).toBe(202);
  });

  it('accepts any of several configured secrets (receiver-side rotation)', async () => {
    const next = `whsec_${Buffer.from('the-next-payments-secret-0123456').toString('base64')}`;
    const { app } = testServer({
      env: { PAYMENTS_SECRET: `${PAYMENTS_SECRET} ${next}`, SCANNER_KEY, GAME_SECRET: 'g' },
    });
    const body = JSON.stringify(payment());
    const res = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { ...CE_JSON, ...webhookHeaders(body, { secret: next }) },
      payload: body,
    });
    expect(res.statusCode).toBe(202);
  });

  it('accepts a GitHub-style X-Hub-Signature-256', async () => {
    const { app, delivery } = testServer();
    const body = JSON.stringify({
      specversion: '1.0',
      id: nextId(),
      source: 'game',
      type: 'answer.submitted',
      data: { teamId: 't1', answer: '42' },
    });
    const res = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { ...CE_JSON, ...hubSignature(body) },
      payload: body,
    });
    expect(res.statusCode).toBe(202);
    expect(delivery.sent).toHaveLength(1);
  });

  it('accepts a source configured with auth none', async () => {
    const { app } = testServer();
    const res = await app.inject({
      method: 'POST',
      url: '/events',
      headers: CE_JSON,
      payload: JSON.stringify(scan({ source: 'simulator' })),
    });
    expect(res.statusCode).toBe(202);
  });

  it('refuses to build when a source secret is missing from env', () => {
    expect(() => testServer({ env: { SCANNER_KEY } })).toThrow(/PAYMENTS_SECRET/);
  });

  it('rate-limits per source with 429 and Retry-After', async () => {
    let now = 1_000_000;
    const { app, delivery } = testServer({ now: () => now });
    const send = () =>
      app.inject({
        method: 'POST',
        url: '/events',
        headers: CE_JSON,
        payload: JSON.stringify(scan({ source: 'simulator' })),
      });
    expect((await send()).statusCode).toBe(202);
    expect((await send()).statusCode).toBe(202);
    const limited = await send();
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(delivery.sent).toHaveLength(2);
    // Other sources have their own bucket.
    const other = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { ...CE_JSON, ...scannerAuth },
      payload: JSON.stringify(scan()),
    });
    expect(other.statusCode).toBe(202);
    now += 600;
    expect((await send()).statusCode).toBe(202);
  });
});

function fakeClient(handles: Record<string, Record<string, unknown>>, calls: unknown[] = []): Client {
  const handle = (id: string) => {
    const state = handles[id];
    const missing = () => Promise.reject(new WorkflowNotFoundError('not found', id, undefined));
    return {
      query: (def: { name: string }, ...args: unknown[]) => {
        calls.push({ id, query: def.name, args });
        return state ? Promise.resolve(state[def.name]) : missing();
      },
      executeUpdate: (def: { name: string }, options: { args: unknown[] }) => {
        calls.push({ id, update: def.name, args: options.args });
        return state ? Promise.resolve({ ok: true }) : missing();
      },
    };
  };
  return {
    connection: { withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn() },
    workflow: { getHandle: handle },
    workflowService: { getSystemInfo: () => Promise.resolve({}) },
  } as unknown as Client;
}

describe('entity, health and documentation endpoints', () => {
  const view = {
    entityType: 'team',
    key: 'red-foxes',
    configVersion: 'v1',
    state: { paid: true },
    eventCount: 3,
    deadLetters: 0,
  };
  const handles = { 'team/red-foxes': { state: view, events: [{ id: 'e1' }], explain: [{ eventId: 'e1' }] } };

  it('queries state, events and traces, and redrives a dead letter', async () => {
    const calls: unknown[] = [];
    const { app } = testServer({ client: fakeClient(handles, calls) });
    expect((await app.inject('/entities/team/red-foxes')).json()).toEqual(view);
    expect((await app.inject('/entities/team/red-foxes/events')).json()).toEqual([{ id: 'e1' }]);
    expect((await app.inject('/entities/team/red-foxes/explain?eventId=e1')).json()).toEqual([{ eventId: 'e1' }]);
    const redrive = await app.inject({ method: 'POST', url: '/entities/team/red-foxes/dead-letters/dl-1/redrive' });
    expect(redrive.json()).toEqual({ ok: true });
    expect(calls).toContainEqual({ id: 'team/red-foxes', query: 'explain', args: [{ eventId: 'e1' }] });
    expect(calls).toContainEqual({ id: 'team/red-foxes', update: 'redrive', args: [{ deadLetterId: 'dl-1' }] });
  });

  it('answers 404 problems for unknown entities, entity types and routes', async () => {
    const { app } = testServer({ client: fakeClient(handles) });
    for (const url of ['/entities/team/nobody', '/entities/planet/mars', '/nowhere']) {
      const res = await app.inject(url);
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('requires the admin bearer token on entity endpoints when one is set', async () => {
    const { app } = testServer({ client: fakeClient(handles), adminApiKey: 'sesame' });
    expect((await app.inject('/entities/team/red-foxes')).statusCode).toBe(401);
    const ok = await app.inject({ url: '/entities/team/red-foxes', headers: { authorization: 'Bearer sesame' } });
    expect(ok.statusCode).toBe(200);
  });

  it('reports liveness and readiness', async () => {
    expect((await testServer().app.inject('/healthz')).statusCode).toBe(200);
    const notReady = await testServer().app.inject('/readyz');
    expect(notReady.statusCode).toBe(503);
    const ready = await testServer({ client: fakeClient({}) }).app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', checks: { temporal: 'serving' } });
  });

  it('exposes request and event metrics on a registry others can add to', async () => {
    const metrics = createIngestMetrics();
    const { app } = testServer({ metrics });
    await app.inject({
      method: 'POST',
      url: '/events',
      headers: { ...CE_JSON, ...scannerAuth },
      payload: JSON.stringify(scan()),
    });
    await app.inject({
      method: 'POST',
      url: '/events',
      headers: { ...CE_JSON, ...scannerAuth },
      payload: JSON.stringify(scan({ data: {} })),
    });
    const text = (await app.inject('/metrics')).body;
    expect(text).toMatch(
      /hunt_ingest_requests_total\{route="\/events",method="POST",status="202",source="scanners"\} 1/,
    );
    expect(text).toMatch(/hunt_ingest_events_total\{type="checkpoint.scanned",outcome="accepted"\} 1/);
    expect(text).toMatch(/hunt_ingest_events_total\{type="checkpoint.scanned",outcome="rejected"\} 1/);
    expect(text).toMatch(/hunt_ingest_request_duration_seconds_bucket/);
    expect(await metrics.registry.getSingleMetricAsString('hunt_ingest_events_total')).toContain('accepted');
  });

  it('serves an OpenAPI 3.1 document and a self-contained docs page', async () => {
    const { app } = testServer();
    const doc = (await app.inject('/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/events', '/entities/{type}/{key}', '/readyz']));
    // The event type's own data schema, and the entity key it is routed by (data.teamId), both required.
    const data = doc.components.schemas['Event_checkpoint.scanned'].properties.data;
    expect(data.allOf[0].required).toEqual(['teamId', 'checkpoint']);
    expect(data.allOf[1].required).toEqual(['teamId']);
    expect(doc['x-hunt-events']['checkpoint.scanned'].sources).toEqual(['scanners', 'simulator']);
    const page = await app.inject('/docs');
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('checkpoint.scanned');
    expect(page.body).toContain('id="data_invalid"');
    expect(page.body).not.toMatch(/<script|<link|https?:\/\/(?!127\.0\.0\.1)/);
  });
});

describe('graceful shutdown', () => {
  it('finishes in-flight requests before closing', async () => {
    const { app, delivery } = testServer();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const originalSend = delivery.send.bind(delivery);
    let sendCalls = 0;
    delivery.send = async (events) => {
      sendCalls++;
      await gate;
      return originalSend(events);
    };
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const post = () =>
      fetch(`${address}/events`, {
        method: 'POST',
        headers: { ...CE_JSON, ...scannerAuth },
        body: JSON.stringify(scan()),
      });
    const inFlight = post();
    await expect.poll(() => sendCalls).toBe(1);
    const closed = app.close();
    let closedYet = false;
    void closed.then(() => (closedYet = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closedYet).toBe(false);
    release();
    expect((await inFlight).status).toBe(202);
    await closed;
    expect(delivery.sent).toHaveLength(1);
  });
});
