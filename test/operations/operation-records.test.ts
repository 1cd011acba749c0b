/**
 * Operations recorded in Temporal (issue 18, item 5), against the real server: a bulk redrive is one workflow
 * of its own, searchable by `HuntOperation` / `HuntTarget`, its memo holding the filters and the counts; it
 * finishes when the command that started it is killed; `hunt operations`, `GET /operations` and the live map's
 * counts list a replay, a redrive and a pause.
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDeadLetters } from '../../src/cli/connector-commands.js';
import { compileConfigText } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { REDRIVE_WORKFLOW_TYPE, type BulkRedriveResult } from '../../src/contract/operations.js';
import { buildIngestServer } from '../../src/ingest/ingest-server.js';
import type { LiveCounts } from '../../src/live-map/live-counts.js';
import { planRedrive, redriveFiltersSchema, runRedrive } from '../../src/operations/bulk-redrive.js';
import type { OperationRecord } from '../../src/operations/operations-list.js';
import { pause, resume } from '../../src/operations/pauses.js';
import { planReplay, runReplay } from '../../src/operations/replay.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import { eventually } from '../reliability/harness/eventually.js';
import { startTestEngine, temporalAddress, type TestEngine } from '../helpers/temporal.js';

const run = promisify(execFile);
// Names of their own: pause records and operation targets are namespace-wide, other files run beside this one.
const ID = randomUUID().slice(0, 8);
const TYPE = `opcrew${ID}`;
const PAY = `pay${ID}`;
const MAIL = `mail${ID}`;
const PAY_RULE = `pay-team-${ID}`;
const ADMIN = 'admin-token-0123456789';
const CONFIG = `
name: operation-records-test
entities:
  ${TYPE}: { key: data.teamId }
sources:
  payments: { auth: none }
events:
  payment.succeeded: { source: payments, entity: ${TYPE} }
connectors:
  ${PAY}: { http: { url: '{{ env.PAYOUTS_URL }}' }, retry: { initialInterval: 100ms, maximumAttempts: 2 } }
  ${MAIL}: { http: { url: '{{ env.MAILER_URL }}' }, retry: { initialInterval: 100ms, maximumAttempts: 2 } }
rules:
  - id: ${PAY_RULE}
    on: payment.succeeded
    then: [ { call: ${PAY}, body: { team: '{{ entity.key }}' } } ]
  - id: mail-team-${ID}
    on: payment.succeeded
    then: [ { call: ${MAIL}, body: { team: '{{ entity.key }}' } } ]
`;

function compile(): CompiledConfig {
  const result = compileConfigText(CONFIG, 'operation-records-test.yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
  return result.config;
}

const TEAMS = ['t1', 't2', 't3'];
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
const openLetters = async (connector: string) =>
  (await listDeadLetters(engine.client, undefined, engine.taskQueue)).filter(
    (r) => r.entity.startsWith(`${TYPE}/`) && !r.letter.redriven && r.letter.connector === connector,
  );
const redrivesOf = async (connector: string) => {
  const query = `HuntOperation = "redrive" AND HuntTarget = "${connector}"`;
  const found = [];
  for await (const wf of engine.client.workflow.list({ query })) found.push(wf);
  return found;
};
const ours = (rows: OperationRecord[]) => rows.filter((r) => [PAY, MAIL, PAY_RULE].includes(r.target));

/** The ingest API of this deployment (its task queue), with the admin token. */
const ingest = (config: CompiledConfig) =>
  buildIngestServer({
    config,
    delivery: engine.delivery,
    client: engine.client,
    logger: pino({ level: 'silent' }),
    env: {},
    adminApiKey: ADMIN,
    taskQueue: engine.taskQueue,
  });

beforeAll(async () => {
  sandbox = await startSandbox({ systems: ['payouts', 'mailer'] });
  engine = await startTestEngine(compile(), {
    env: { PAYOUTS_URL: sandbox.url('payouts'), MAILER_URL: sandbox.url('mailer') },
  });
  // Both partners down: each team gets a dead letter per connector.
  sandbox.control('*', 'fail with status 503');
  await engine.delivery.publish(TEAMS.map(paid));
  await eventually(
    async () => [...(await openLetters(PAY)), ...(await openLetters(MAIL))],
    (rows) => rows.length === 6,
    { what: '6 dead letters in visibility' },
  );
  sandbox.control('*', 'reset');
}, 120_000);
afterAll(async () => {
  if (engine) await resume(engine.client, 'connector', MAIL).catch(() => undefined);
  await engine?.stop();
  await sandbox?.close();
});

describe('operations recorded in Temporal', () => {
  it('a bulk redrive is one operation workflow, searchable by HuntOperation, its memo holding the summary', async () => {
    const filters = redriveFiltersSchema.parse({ connector: MAIL, entityType: TYPE });
    const targets = await planRedrive(engine.client, filters, { taskQueue: engine.taskQueue });
    expect(targets).toHaveLength(3);
    const summary = await runRedrive(engine.client, { taskQueue: engine.taskQueue, filters, targets });
    expect(summary).toMatchObject({ planned: 3, redriven: 3, failedAgain: 0 });
    expect(summary.operationId).toMatch(/^hunt\.redrive\/\d{4}-\d\d-\d\dT/);
    // The outcomes carry the dead letters as planned (same shape as before the redrive became a workflow).
    expect(summary.results.map((r) => r.letter.id).sort()).toEqual(targets.map((t) => t.letter.id).sort());
    expect(summary.results[0]!.letter.idempotencyKey).toBeDefined();

    const [record, ...more] = await eventually(
      () => redrivesOf(MAIL),
      (rows) => rows.length === 1 && rows[0]!.status.name === 'COMPLETED',
      { what: 'the redrive operation in visibility' },
    );
    expect(more).toEqual([]);
    expect(record).toMatchObject({ workflowId: summary.operationId, type: REDRIVE_WORKFLOW_TYPE });
    expect(record!.taskQueue).toBe(engine.taskQueue);
    expect(record!.memo).toMatchObject({
      kind: 'redrive',
      filters: { connector: MAIL, entityType: TYPE },
      planned: 3,
      done: 3,
      redriven: 3,
      failedAgain: 0,
    });
    expect(await openLetters(MAIL)).toEqual([]);
  }, 60_000);

  it('a redrive completes when the command that started it is killed', async () => {
    // Each call now takes a while: the redrive is still under way when its command goes.
    sandbox.control('payouts', 'delay 3s');
    const child = spawn(process.execPath, ['bin/hunt.js', 'redrive', '--all', '--connector', PAY, '--yes'], {
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const operationId = await eventually(
      async () => /Operation (hunt\.redrive\/\S+)/.exec(stderr)?.[1],
      (id) => id !== undefined,
      { what: 'the CLI naming its operation', timeoutMs: 60_000 },
    );
    child.kill('SIGKILL');
    expect(await exited).toBeNull();
    const handle = engine.client.workflow.getHandle(operationId!);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect(stderr).not.toContain('[3/3]');
    // Under way, the live map shows it on its connector.
    const app = ingest(compile());
    try {
      const counts = (await app.inject({ method: 'GET', url: '/live-map/counts' })).json<LiveCounts>();
      expect(counts.nodes[`connector:${PAY}`]?.label).toMatch(/redriving \d\/3/);
      expect(counts.operations?.find((r) => r.id === operationId)).toMatchObject({
        kind: 'redrive',
        status: 'running',
      });
    } finally {
      await app.close();
    }

    const result = (await handle.result()) as BulkRedriveResult;
    expect(result).toMatchObject({ planned: 3, done: 3, redriven: 3, failedAgain: 0 });
    const ok = sandbox.requests().filter((r) => r.system === 'payouts' && r.outcome === 'ok');
    // Each dead letter's call went out once more: once, even though its update ran from an activity.
    expect(ok).toHaveLength(3);
    expect(new Set(ok.map((r) => r.idempotencyKey)).size).toBe(3);
    expect(await openLetters(PAY)).toEqual([]);
    sandbox.control('payouts', 'reset');
  }, 90_000);

  it('hunt operations, GET /operations and the live map list a replay, a redrive and a pause', async () => {
    const config = compile();
    await pause(engine.client, engine.taskQueue, 'connector', MAIL, { reason: 'partner maintenance', settle: false });
    const plan = await planReplay(engine.client, config, { entityType: TYPE }, [PAY_RULE]);
    const replay = await runReplay(engine.client, engine.taskQueue, plan);
    expect(replay).toMatchObject({ planned: 3, started: 3, failed: 0 });

    const listed = await eventually(
      async () => {
        const { stdout } = await run(process.execPath, ['bin/hunt.js', 'operations', '--json', '--limit', '500'], {
          env: env(),
        });
        return ours(JSON.parse(stdout) as OperationRecord[]);
      },
      (rows) => rows.length === 4 && rows.some((r) => r.kind === 'replay' && r.status === 'completed'),
      { what: 'our four operations in hunt operations' },
    );
    const byKind = (kind: string, target: string) => listed.find((r) => r.kind === kind && r.target === target);
    expect(byKind('connector-pause', MAIL)).toMatchObject({
      status: 'running',
      summary: 'paused: partner maintenance',
      id: `hunt.pause/connector/${MAIL}`,
    });
    expect(byKind('replay', PAY_RULE)).toMatchObject({
      status: 'completed',
      id: `hunt.replay/${replay.replayId}`,
      summary: '3 firings replayed',
    });
    expect(byKind('redrive', MAIL)).toMatchObject({ status: 'completed', summary: '3 of 3 redriven' });
    expect(byKind('redrive', PAY)).toMatchObject({ status: 'completed', filters: { connector: PAY } });
    // Newest first.
    expect(listed.map((r) => r.started)).toEqual([...listed.map((r) => r.started)].sort().reverse());

    const table = await run(
      process.execPath,
      ['bin/hunt.js', 'operations', '--kind', 'connector-pause', '--running', '--task-queue', engine.taskQueue],
      { env: env() },
    );
    expect(table.stdout).toMatch(/^KIND\s+TARGET\s+STATUS\s+STARTED\s+SUMMARY\s+ID\n/);
    expect(table.stdout).toMatch(
      new RegExp(`connector-pause\\s+${MAIL}\\s+running\\s+\\S+\\s+paused: partner maintenance`),
    );
    expect(table.stdout).not.toContain('redrive');
    expect(table.stderr).toContain('HuntOperation = "connector-pause" AND ExecutionStatus = "Running"');

    const app = ingest(config);
    try {
      expect((await app.inject({ method: 'GET', url: '/operations' })).statusCode).toBe(401);
      const headers = { authorization: `Bearer ${ADMIN}` };
      expect((await app.inject({ method: 'GET', url: '/operations?kind=nonsense', headers })).statusCode).toBe(400);
      const res = await app.inject({ method: 'GET', url: '/operations?limit=50', headers });
      expect(res.statusCode).toBe(200);
      const rows = res.json<OperationRecord[]>();
      // This deployment's task queue only: every row is ours.
      expect(rows.map((r) => `${r.kind} ${r.target}`).sort()).toEqual(
        [`connector-pause ${MAIL}`, `redrive ${MAIL}`, `redrive ${PAY}`, `replay ${PAY_RULE}`].sort(),
      );
      const running = await app.inject({ method: 'GET', url: '/operations?running=true', headers });
      expect(running.json<OperationRecord[]>().map((r) => r.kind)).toEqual(['connector-pause']);

      const counts = (await app.inject({ method: 'GET', url: '/live-map/counts' })).json<LiveCounts>();
      expect(counts.temporal).toBe('ok');
      expect(counts.operations?.map((r) => `${r.kind} ${r.target}`).sort()).toEqual(
        [`connector-pause ${MAIL}`, `redrive ${MAIL}`, `redrive ${PAY}`, `replay ${PAY_RULE}`].sort(),
      );
      expect(counts.nodes[`connector:${MAIL}`]).toMatchObject({ label: expect.stringContaining('paused') });
      expect(counts.totals.paused?.connectors).toContain(MAIL);
      const page = (await app.inject({ method: 'GET', url: '/' })).body;
      expect(page).toContain('id="operations-rows"');
      expect(page).toContain('HuntOperation IN (&#34;replay&#34;');
    } finally {
      await app.close();
    }
  }, 120_000);
});
