/**
 * The admin endpoints for pauses against the real server: pause and resume a rule and a connector over HTTP,
 * list the pauses, refuse unknown names (404) and requests without the admin token (401).
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileConfigText } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { buildIngestServer } from '../../src/ingest/ingest-server.js';
import { eventually } from '../reliability/harness/eventually.js';
import { startTestEngine, type TestEngine } from '../helpers/temporal.js';

const RULE = `wave-${randomUUID().slice(0, 6)}`;
const CONNECTOR = `pager${randomUUID().slice(0, 6)}`;
const CONFIG = `
name: operations-routes-test
entities:
  crew: { key: data.teamId }
sources:
  test: { auth: none }
events:
  paid: { source: test, entity: crew }
connectors:
  ${CONNECTOR}: { http: { url: 'http://127.0.0.1:9/never' } }
rules:
  - id: ${RULE}
    on: paid
    then: [ { call: ${CONNECTOR} } ]
`;

function compile(): CompiledConfig {
  const result = compileConfigText(CONFIG, 'operations-routes-test.yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
  return result.config;
}

let engine: TestEngine;
beforeAll(async () => {
  engine = await startTestEngine(compile());
}, 60_000);
afterAll(async () => {
  await engine?.stop();
});

describe('pause endpoints', () => {
  it('pause, list and resume a rule and a connector; 404 for unknown names, 401 without the token', async () => {
    const app = buildIngestServer({
      config: compile(),
      delivery: engine.delivery,
      client: engine.client,
      logger: pino({ level: 'silent' }),
      env: {},
      adminApiKey: 'admin-token-0123456789',
      taskQueue: engine.taskQueue,
    });
    const headers = { authorization: 'Bearer admin-token-0123456789', 'content-type': 'application/json' };
    try {
      expect((await app.inject({ method: 'POST', url: `/rules/${RULE}/pause` })).statusCode).toBe(401);
      const unknown = await app.inject({ method: 'POST', url: '/rules/nope/pause', headers, body: '{}' });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toMatchObject({ code: 'RULE_UNKNOWN' });
      const badBody = await app.inject({
        method: 'POST',
        url: `/rules/${RULE}/pause`,
        headers,
        body: '{"reason":{"a":1}}',
      });
      expect(badBody.statusCode).toBe(400);

      const paused = await app.inject({
        method: 'POST',
        url: `/rules/${RULE}/pause`,
        headers,
        body: JSON.stringify({ reason: 'testing' }),
      });
      expect(paused.json()).toEqual({ kind: 'rule', name: RULE, paused: true, changed: true, signalled: 0 });
      const again = await app.inject({ method: 'POST', url: `/rules/${RULE}/pause`, headers, body: '{}' });
      expect(again.json()).toMatchObject({ changed: false });
      const connector = await app.inject({
        method: 'POST',
        url: `/connectors/${CONNECTOR}/pause`,
        headers,
        body: '{}',
      });
      expect(connector.json()).toMatchObject({ kind: 'connector', paused: true, changed: true });

      const listed = await eventually(
        async () =>
          (await app.inject({ method: 'GET', url: '/operations/pauses', headers }))
            .json<Array<{ kind: string; name: string; reason?: string }>>()
            .filter((p) => p.name === RULE || p.name === CONNECTOR),
        (rows) => rows.length === 2,
        { what: 'both pauses listed' },
      );
      expect(listed).toEqual([
        expect.objectContaining({ kind: 'connector', name: CONNECTOR }),
        expect.objectContaining({ kind: 'rule', name: RULE, reason: 'testing' }),
      ]);

      const resumed = await app.inject({ method: 'POST', url: `/rules/${RULE}/resume`, headers });
      expect(resumed.json()).toMatchObject({ kind: 'rule', paused: false, changed: true });
      expect(
        (await app.inject({ method: 'POST', url: `/connectors/${CONNECTOR}/resume`, headers })).json(),
      ).toMatchObject({ paused: false, changed: true, signalled: 0 });
      await eventually(
        async () =>
          (await app.inject({ method: 'GET', url: '/operations/pauses', headers }))
            .json<Array<{ name: string }>>()
            .filter((p) => p.name === RULE || p.name === CONNECTOR).length,
        (n) => n === 0,
        { what: 'no pause left' },
      );
      const openapi = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: object }>();
      expect(openapi.paths).toBeDefined();
    } finally {
      await app.close();
    }
  }, 60_000);
});
