/** Ingest with real delivery against a Temporal address where nothing listens: 503 + Retry-After, nothing taken. */
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EntityDelivery } from '../../src/client/delivery.js';
import { EngineUnavailableError } from '../../src/client/engine-unavailable-error.js';
import { buildIngestServer } from '../../src/ingest/ingest-server.js';
import { CE_JSON, ENV, SCANNER_KEY, fixtureConfig, scan } from './ingest-fixture.js';

describe('ingest when Temporal is unreachable', () => {
  // Port 1 on loopback: connections are refused at once.
  const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
  const client = new Client({ connection });
  const config = fixtureConfig();
  const delivery = new EntityDelivery({
    client,
    taskQueue: 'nowhere',
    config,
    sendTimeoutMs: 1500,
    retryAfterSeconds: 4,
  });
  afterAll(() => connection.close());

  it('EntityDelivery.send rejects with a retryable EngineUnavailableError', async () => {
    await expect(delivery.send([scan() as never])).rejects.toBeInstanceOf(EngineUnavailableError);
  });

  it('POST /events answers 503 with Retry-After, and /readyz says not ready', async () => {
    const app = buildIngestServer({
      config,
      delivery,
      client,
      logger: pino({ level: 'silent' }),
      env: ENV,
      queryTimeoutMs: 1500,
    });
    const started = Date.now();
    const res = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { ...CE_JSON, 'x-api-key': SCANNER_KEY },
      payload: JSON.stringify(scan()),
    });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('4');
    expect(res.json().code).toBe('ENGINE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(5000);
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks.temporal).toMatch(/unreachable/);
    await app.close();
  });
});
