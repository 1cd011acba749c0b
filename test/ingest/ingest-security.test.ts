/**
 * Security tests of POST /events: each asserts the status code AND that nothing was delivered.
 * Isolated unit tests over a fake deliverer.
 */
import { describe, expect, it } from 'vitest';
import {
  CE_BATCH,
  CE_JSON,
  SCANNER_KEY,
  hubSignature,
  nextId,
  payment,
  scan,
  testServer,
  webhookHeaders,
} from './ingest-fixture.js';

const scannerAuth = { 'x-api-key': SCANNER_KEY };
const MINUTE = 60_000;

async function post(headers: Record<string, string>, payload: string | Buffer, overrides = {}) {
  const server = testServer(overrides);
  const res = await server.app.inject({ method: 'POST', url: '/events', headers, payload });
  return { res, delivered: server.delivery.delivered, server };
}

describe('Standard Webhooks', () => {
  const body = () => JSON.stringify(payment());

  it('refuses missing signature headers', async () => {
    const { res, delivered } = await post(CE_JSON, body());
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('MISSING_SIGNATURE');
    expect(delivered).toHaveLength(0);
  });

  it('refuses a signature made with another secret', async () => {
    const text = body();
    const wrong = `whsec_${Buffer.from('not-the-payments-secret-at-all!!').toString('base64')}`;
    const { res, delivered } = await post({ ...CE_JSON, ...webhookHeaders(text, { secret: wrong }) }, text);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('BAD_SIGNATURE');
    expect(delivered).toHaveLength(0);
  });

  it('refuses a body changed after signing', async () => {
    const text = body();
    const tampered = text.replace('"amount":40', '"amount":4000');
    const { res, delivered } = await post({ ...CE_JSON, ...webhookHeaders(text) }, tampered);
    expect(res.statusCode).toBe(401);
    expect(delivered).toHaveLength(0);
  });

  it('refuses an expired timestamp and a future one', async () => {
    for (const at of [new Date(Date.now() - 10 * MINUTE), new Date(Date.now() + 10 * MINUTE)]) {
      const text = body();
      const { res, delivered } = await post({ ...CE_JSON, ...webhookHeaders(text, { at }) }, text);
      expect(res.statusCode).toBe(401);
      expect(res.json().detail).toMatch(/timestamp too (old|new)/);
      expect(delivered).toHaveLength(0);
    }
  });

  it('refuses a replayed webhook-id within the tolerance window', async () => {
    const { app, delivery } = testServer();
    const text = body();
    const headers = { ...CE_JSON, ...webhookHeaders(text) };
    const first = await app.inject({ method: 'POST', url: '/events', headers, payload: text });
    expect(first.statusCode).toBe(202);
    const replay = await app.inject({ method: 'POST', url: '/events', headers, payload: text });
    expect(replay.statusCode).toBe(409);
    expect(replay.json().code).toBe('WEBHOOK_REPLAYED');
    expect(delivery.delivered).toHaveLength(1);
  });

  it('lets a sender retry the same webhook-id after a 503 (the id is only kept once accepted)', async () => {
    const { app, delivery } = testServer();
    const text = body();
    const headers = { ...CE_JSON, ...webhookHeaders(text) };
    delivery.unavailable = true;
    expect((await app.inject({ method: 'POST', url: '/events', headers, payload: text })).statusCode).toBe(503);
    expect(delivery.delivered).toHaveLength(0);
    delivery.unavailable = false;
    expect((await app.inject({ method: 'POST', url: '/events', headers, payload: text })).statusCode).toBe(202);
  });
});

describe('API keys and hub signatures', () => {
  it('refuses a wrong API key and a missing one', async () => {
    for (const headers of [{ 'x-api-key': 'guess' }, {}] as Array<Record<string, string>>) {
      const { res, delivered } = await post({ ...CE_JSON, ...headers }, JSON.stringify(scan()));
      expect(res.statusCode).toBe(401);
      expect(delivered).toHaveLength(0);
    }
  });

  it('refuses a wrong X-Hub-Signature-256', async () => {
    const text = JSON.stringify({
      specversion: '1.0',
      id: nextId(),
      source: 'game',
      type: 'answer.submitted',
      data: { teamId: 't', answer: 'a' },
    });
    for (const headers of [hubSignature(text, 'other-secret'), { 'x-hub-signature-256': 'sha256=zz' }, {}]) {
      const { res, delivered } = await post({ ...CE_JSON, ...headers }, text);
      expect(res.statusCode).toBe(401);
      expect(delivered).toHaveLength(0);
    }
  });

  it('does not let an authenticated source send a type it is not configured for', async () => {
    const { res, delivered } = await post(
      { ...CE_JSON, ...scannerAuth },
      JSON.stringify(payment({ source: 'scanners' })),
    );
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('SOURCE_NOT_ALLOWED');
    expect(delivered).toHaveLength(0);
  });

  it('refuses a batch mixing sources (a key for one source cannot vouch for another)', async () => {
    const events = [scan(), scan({ source: 'simulator' })];
    const { res, delivered } = await post({ ...CE_BATCH, ...scannerAuth }, JSON.stringify(events));
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('MIXED_SOURCES');
    expect(delivered).toHaveLength(0);
  });
});

describe('limits and malformed requests', () => {
  it('refuses a body over the request limit', async () => {
    const huge = JSON.stringify(scan({ data: { teamId: 't', checkpoint: 'cp-1', pad: 'x'.repeat(2 * 1024 * 1024) } }));
    const { res, delivered } = await post({ ...CE_JSON, ...scannerAuth }, huge);
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('BODY_TOO_LARGE');
    expect(delivered).toHaveLength(0);
  });

  it('refuses a single event over the per-event limit', async () => {
    const big = JSON.stringify(scan({ data: { teamId: 't', checkpoint: 'cp-1', pad: 'x'.repeat(70 * 1024) } }));
    const { res, delivered } = await post({ ...CE_JSON, ...scannerAuth }, big);
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('EVENT_TOO_LARGE');
    expect(delivered).toHaveLength(0);
  });

  it('refuses a batch over the size limit', async () => {
    const events = Array.from({ length: 5 }, () => scan());
    const { res, delivered } = await post({ ...CE_BATCH, ...scannerAuth }, JSON.stringify(events), { maxBatch: 4 });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('BATCH_TOO_LARGE');
    expect(delivered).toHaveLength(0);
  });

  it('refuses malformed JSON', async () => {
    const { res, delivered } = await post({ ...CE_JSON, ...scannerAuth }, '{"specversion":"1.0",');
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe('MALFORMED_BODY');
    expect(delivered).toHaveLength(0);
  });

  it('refuses a wrong content type', async () => {
    for (const contentType of ['text/plain', 'application/xml', 'application/cloudevents+json; charset=latin1']) {
      const { res, delivered } = await post({ 'content-type': contentType, ...scannerAuth }, JSON.stringify(scan()));
      expect(res.statusCode).toBe(415);
      expect(delivered).toHaveLength(0);
    }
  });

  it('names an unknown event type', async () => {
    const { res, delivered } = await post(
      { ...CE_JSON, ...scannerAuth },
      JSON.stringify(scan({ type: 'treasure.stolen' })),
    );
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('UNKNOWN_EVENT_TYPE');
    expect(res.json().detail).toContain('treasure.stolen');
    expect(delivered).toHaveLength(0);
  });

  it('names an unknown source', async () => {
    const { res, delivered } = await post({ ...CE_JSON, ...scannerAuth }, JSON.stringify(scan({ source: 'mallory' })));
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toContain('mallory');
    expect(delivered).toHaveLength(0);
  });

  it('lists every problem when data fails its schema', async () => {
    const event = scan({ time: 'yesterday', data: { checkpoint: 'checkpoint one', extra: 1 } });
    const { res, delivered } = await post({ ...CE_JSON, ...scannerAuth }, JSON.stringify(event));
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual(
      expect.arrayContaining([
        { pointer: '/time', detail: expect.stringContaining('RFC 3339') },
        { pointer: '/data/teamId', detail: 'is required' },
        { pointer: '/data/checkpoint', detail: expect.stringContaining('pattern') },
      ]),
    );
    expect(delivered).toHaveLength(0);
  });

  it('answers 422 DATA_INVALID when only the data is wrong', async () => {
    const { res, delivered } = await post(
      { ...CE_JSON, ...scannerAuth },
      JSON.stringify(scan({ data: { checkpoint: 'x' } })),
    );
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('DATA_INVALID');
    expect(res.json().errors).toHaveLength(2);
    expect(delivered).toHaveLength(0);
  });

  it('delivers the good events of a batch and not the bad one', async () => {
    const good = [scan(), scan()];
    const bad = scan({ data: { teamId: 'x', checkpoint: 'nope' } });
    const { res, delivered } = await post({ ...CE_BATCH, ...scannerAuth }, JSON.stringify([good[0], bad, good[1]]));
    expect(res.statusCode).toBe(207);
    const body = res.json();
    expect(body).toMatchObject({ accepted: 2, rejected: 1 });
    expect(body.results[1]).toMatchObject({ index: 1, id: bad.id, status: 'rejected', code: 'DATA_INVALID' });
    expect(body.results[1].problems).toEqual([
      { pointer: '/1/data/checkpoint', detail: expect.stringContaining('pattern') },
    ]);
    expect(delivered.map((e) => e.id)).toEqual([good[0]!.id, good[1]!.id]);
  });

  it('answers 422 when every event of a batch is rejected', async () => {
    const { res, delivered } = await post(
      { ...CE_BATCH, ...scannerAuth },
      JSON.stringify([scan({ data: {} }), scan({ type: 'nope' })]),
    );
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('BATCH_REJECTED');
    expect(res.json().errors.map((e: { pointer: string }) => e.pointer)).toEqual(
      expect.arrayContaining(['/0/data/teamId', '/0/data/checkpoint', '/1/type']),
    );
    expect(delivered).toHaveLength(0);
  });
});
