/**
 * `hunt redrive --all` and `POST /dead-letters/redrive` against the real server: every dead letter of a
 * partner that recovered is cleared (each call reaching it once more, same idempotency key), filters leave
 * the others alone, and the CLI refuses to act without confirmation.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDeadLetters } from '../../src/cli/connector-commands.js';
import { compileConfigText } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { buildIngestServer } from '../../src/ingest/ingest-server.js';
import { planRedrive, redriveFiltersSchema } from '../../src/operations/bulk-redrive.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import { eventually } from '../reliability/harness/eventually.js';
import { startTestEngine, temporalAddress, type TestEngine } from '../helpers/temporal.js';

const run = promisify(execFile);
const TYPE = `crew${randomUUID().slice(0, 8)}`;
const CONFIG = `
name: bulk-redrive-test
entities:
  ${TYPE}: { key: data.teamId }
sources:
  payments: { auth: none }
events:
  payment.succeeded: { source: payments, entity: ${TYPE} }
connectors:
  payouts: { http: { url: '{{ env.PAYOUTS_URL }}' }, retry: { initialInterval: 100ms, maximumAttempts: 2 } }
  mailer: { http: { url: '{{ env.MAILER_URL }}' }, retry: { initialInterval: 100ms, maximumAttempts: 2 } }
rules:
  - id: pay-team
    on: payment.succeeded
    then: [ { call: payouts, body: { team: '{{ entity.key }}' } } ]
  - id: mail-team
    on: payment.succeeded
    then: [ { call: mailer, body: { team: '{{ entity.key }}' } } ]
`;

function compile(): CompiledConfig {
  const result = compileConfigText(CONFIG, 'bulk-redrive-test.yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
  return result.config;
}

const paid = (teamId: string): EngineEvent => ({
  id: `${teamId}-paid`,
  source: 'payments',
  type: 'payment.succeeded',
  specversion: '1.0',
  data: { teamId },
});

let sandbox: Sandbox;
let engine: TestEngine;
const env = () => ({
  ...process.env,
  TEMPORAL_ADDRESS: temporalAddress(),
  TEMPORAL_NAMESPACE: 'default',
  HUNT_TASK_QUEUE: engine.taskQueue,
});
const openLetters = async () =>
  (await listDeadLetters(engine.client, undefined, engine.taskQueue)).filter(
    (r) => r.entity.startsWith(`${TYPE}/`) && !r.letter.redriven,
  );

beforeAll(async () => {
  sandbox = await startSandbox({ systems: ['payouts', 'mailer'] });
  engine = await startTestEngine(compile(), {
    env: { PAYOUTS_URL: sandbox.url('payouts'), MAILER_URL: sandbox.url('mailer') },
  });
  // Both partners are down: each of 4 teams gets a payouts and a mailer dead letter.
  sandbox.control('*', 'fail with status 503');
  await engine.delivery.publish(['t1', 't2', 't3', 't4'].map(paid));
  await eventually(openLetters, (rows) => rows.length === 8, { what: '8 dead letters in visibility' });
  sandbox.control('*', 'reset');
}, 120_000);
afterAll(async () => {
  await engine?.stop();
  await sandbox?.close();
});

describe('bulk redrive', () => {
  it('plans by connector, rule, entity type and failure text', async () => {
    const plan = (filters: Record<string, string>) =>
      planRedrive(engine.client, redriveFiltersSchema.parse({ entityType: TYPE, ...filters }));
    expect(await plan({})).toHaveLength(8);
    expect((await plan({ connector: 'payouts' })).map((t) => t.entity)).toEqual(
      ['t1', 't2', 't3', 't4'].map((t) => `${TYPE}/${t}`),
    );
    expect(await plan({ rule: 'mail-team' })).toHaveLength(4);
    expect(await plan({ failure: '503' })).toHaveLength(8);
    expect(await plan({ failure: 'no such text' })).toEqual([]);
    expect(await plan({ since: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
    // A deployment redrives its own entities: another task queue's plan holds none of them.
    const onQueue = (taskQueue: string) => planRedrive(engine.client, redriveFiltersSchema.parse({}), { taskQueue });
    expect((await onQueue(engine.taskQueue)).map((t) => t.entity).filter((e) => e.startsWith(`${TYPE}/`))).toHaveLength(
      8,
    );
    expect(await onQueue(`${engine.taskQueue}-other`)).toEqual([]);
  });

  it('hunt redrive --all clears every dead letter of a partner that recovered, after confirmation', async () => {
    const args = ['bin/hunt.js', 'redrive', '--all', '--connector', 'payouts', '--type', TYPE];
    // No terminal to ask on and no --yes: it shows the plan and refuses.
    const refused = await run(process.execPath, args, { env: env() }).catch(
      (err: { code: number; stderr: string }) => err,
    );
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('pass --yes') });
    expect((refused as { stderr: string }).stderr).toContain(`${TYPE}/t1`);
    expect(sandbox.requests().filter((r) => r.system === 'payouts' && r.outcome === 'ok')).toHaveLength(0);

    const done = await run(process.execPath, [...args, '--yes'], { env: env() });
    expect(done.stdout).toBe('4 of 4 dead letters redriven\n');
    expect(done.stderr).toContain('[4/4]');
    const ok = sandbox.requests().filter((r) => r.system === 'payouts' && r.outcome === 'ok');
    expect(ok).toHaveLength(4);
    // Each call went out once more with the key it had: the partner can tell it from a new call.
    expect(new Set(ok.map((r) => r.idempotencyKey)).size).toBe(4);
    const failedKeys = new Set(
      sandbox
        .requests()
        .filter((r) => r.system === 'payouts' && r.outcome !== 'ok')
        .map((r) => r.idempotencyKey),
    );
    expect(ok.every((r) => failedKeys.has(r.idempotencyKey))).toBe(true);
    const left = await openLetters();
    expect(left.map((r) => r.letter.connector)).toEqual(['mailer', 'mailer', 'mailer', 'mailer']);
  }, 60_000);

  it('POST /dead-letters/redrive does the same for admins (dry run first)', async () => {
    const app = buildIngestServer({
      config: compile(),
      delivery: engine.delivery,
      client: engine.client,
      logger: pino({ level: 'silent' }),
      env: {},
      adminApiKey: 'admin-token-0123456789',
      taskQueue: engine.taskQueue,
    });
    try {
      const body = JSON.stringify({ entityType: TYPE, connector: 'mailer', dryRun: true });
      expect((await app.inject({ method: 'POST', url: '/dead-letters/redrive', body })).statusCode).toBe(401);
      const headers = { authorization: 'Bearer admin-token-0123456789', 'content-type': 'application/json' };
      const dry = await app.inject({ method: 'POST', url: '/dead-letters/redrive', body, headers });
      expect(dry.json()).toMatchObject({ planned: 4 });
      expect(sandbox.requests().filter((r) => r.system === 'mailer' && r.outcome === 'ok')).toHaveLength(0);
      const bad = await app.inject({
        method: 'POST',
        url: '/dead-letters/redrive',
        body: JSON.stringify({ connectr: 'mailer' }),
        headers,
      });
      expect(bad.statusCode).toBe(400);
      const res = await app.inject({
        method: 'POST',
        url: '/dead-letters/redrive',
        body: JSON.stringify({ entityType: TYPE, connector: 'mailer' }),
        headers,
      });
      expect(res.json()).toMatchObject({ planned: 4, redriven: 4, failedAgain: 0 });
      expect(sandbox.requests().filter((r) => r.system === 'mailer' && r.outcome === 'ok')).toHaveLength(4);
      expect(await openLetters()).toEqual([]);
    } finally {
      await app.close();
    }
  }, 60_000);
});
