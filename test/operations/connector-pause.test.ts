/**
 * `hunt connectors pause|resume` against the real server: a paused connector receives nothing while paused —
 * its calls wait in their entities (no failure, no dead letter), across a worker restart — and everything,
 * once and in order per entity, after resume. Visible in visibility, the waitingCalls query and the live map.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileConfigText } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { deadLettersQuery } from '../../src/contract/messages.js';
import { waitingCallsQuery } from '../../src/contract/operations.js';
import { buildIngestServer } from '../../src/ingest/ingest-server.js';
import { listPauses, waitingEntities } from '../../src/operations/pauses.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import { eventually } from '../reliability/harness/eventually.js';
import { startTestEngine, temporalAddress, uniqueName, type TestEngine } from '../helpers/temporal.js';

const run = promisify(execFile);
const TYPE = `band${randomUUID().slice(0, 8)}`;
const CONNECTOR = `payouts${randomUUID().slice(0, 6)}`;
const CONFIG = `
name: connector-pause-test
entities:
  ${TYPE}: { key: data.teamId }
sources:
  scanners: { auth: none }
events:
  checkpoint.scanned: { source: scanners, entity: ${TYPE} }
connectors:
  ${CONNECTOR}: { http: { url: '{{ env.PAYOUTS_URL }}' }, idempotencyHeader: Idempotency-Key, retry: { initialInterval: 100ms, maximumAttempts: 2 } }
  mailer: { http: { url: '{{ env.MAILER_URL }}' } }
rules:
  - id: pay
    on: checkpoint.scanned
    then: [ { call: ${CONNECTOR}, body: { team: '{{ entity.key }}', checkpoint: '{{ data.checkpoint }}' } } ]
  - id: mail
    on: checkpoint.scanned
    then: [ { call: mailer, body: { team: '{{ entity.key }}' } } ]
`;

function compile(): CompiledConfig {
  const result = compileConfigText(CONFIG, 'connector-pause-test.yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
  return result.config;
}

const scanned = (teamId: string, checkpoint: string): EngineEvent => ({
  id: `${teamId}-${checkpoint}`,
  source: 'scanners',
  type: 'checkpoint.scanned',
  specversion: '1.0',
  data: { teamId, checkpoint },
});

let sandbox: Sandbox;
let engine: TestEngine;
const taskQueue = uniqueName('pause');
const workerEnv = () => ({ PAYOUTS_URL: sandbox.url('payouts'), MAILER_URL: sandbox.url('mailer') });
const env = () => ({
  ...process.env,
  TEMPORAL_ADDRESS: temporalAddress(),
  TEMPORAL_NAMESPACE: 'default',
  HUNT_TASK_QUEUE: taskQueue,
});
const hunt = (...args: string[]) => run(process.execPath, ['bin/hunt.js', ...args], { env: env() });
const paid = () => sandbox.requests().filter((r) => r.system === 'payouts');

beforeAll(async () => {
  sandbox = await startSandbox({ systems: ['payouts', 'mailer'] });
  engine = await startTestEngine(compile(), { env: workerEnv(), taskQueue });
}, 60_000);
afterAll(async () => {
  await engine?.stop();
  await sandbox?.close();
});

describe('connector pause', () => {
  it('refuses an unknown connector with the known ones', async () => {
    const configFile = `${process.cwd()}/test/operations/.pause-config-${TYPE}.yaml`;
    const { writeFile, rm } = await import('node:fs/promises');
    await writeFile(configFile, CONFIG);
    try {
      const err = await hunt('connectors', 'pause', 'payuots', '--config', configFile).catch(
        (e: { code: number; stderr: string }) => e,
      );
      expect(err).toMatchObject({ code: 1, stderr: expect.stringContaining('no connector "payuots"') });
      const ok = await hunt('connectors', 'pause', CONNECTOR, '--config', configFile, '--reason', 'partner outage');
      expect(ok.stdout).toContain(`connector ${CONNECTOR} paused`);
    } finally {
      await rm(configFile, { force: true });
    }
  }, 60_000);

  it('holds calls durably across a worker restart and lets them out once, in order, on resume', async () => {
    expect((await listPauses(engine.client)).filter((p) => p.name === CONNECTOR)).toEqual([
      expect.objectContaining({ kind: 'connector', name: CONNECTOR, reason: 'partner outage' }),
    ]);
    await engine.delivery.publish([scanned('t1', 'a'), scanned('t2', 'a')]);
    await engine.delivery.publish([scanned('t1', 'b'), scanned('t1', 'c')]);
    // The other connector is not held.
    await eventually(
      async () => sandbox.requests().filter((r) => r.system === 'mailer').length,
      (n) => n === 4,
      { what: 'four mails' },
    );
    const waiting = await eventually(
      () => waitingEntities(engine.client, CONNECTOR),
      (ids) => ids.length === 2,
      { what: 'two entities waiting on the paused connector in visibility' },
    );
    expect(waiting).toEqual([`${TYPE}/t1`, `${TYPE}/t2`]);
    expect(await engine.client.workflow.getHandle(`${TYPE}/t1`).query(waitingCallsQuery)).toEqual({
      [CONNECTOR]: 3,
    });

    // The live map and /metrics show the pause and its backlog.
    const app = buildIngestServer({
      config: compile(),
      delivery: engine.delivery,
      client: engine.client,
      logger: pino({ level: 'silent' }),
      env: {},
    });
    try {
      const counts = (await app.inject({ method: 'GET', url: '/live-map/counts' })).json();
      expect(counts.nodes[`connector:${CONNECTOR}`]).toMatchObject({ alert: true });
      expect(counts.nodes[`connector:${CONNECTOR}`].label).toContain('paused · 2 entities waiting');
      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toContain(`hunt_connector_paused{connector="${CONNECTOR}"} 1`);
      expect(metrics).toContain(`hunt_connector_waiting_entities{connector="${CONNECTOR}"} 2`);
    } finally {
      await app.close();
    }

    // The worker goes away while the calls wait; a new one takes over.
    await engine.stop();
    engine = await startTestEngine(compile(), { env: workerEnv(), taskQueue });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(paid()).toEqual([]);
    for (const team of ['t1', 't2']) {
      expect(await engine.client.workflow.getHandle(`${TYPE}/${team}`).query(deadLettersQuery)).toEqual([]);
    }

    const resumed = await hunt('connectors', 'resume', CONNECTOR);
    expect(resumed.stdout).toBe(`connector ${CONNECTOR} resumed; 2 waiting entities told to go on\n`);
    await eventually(
      async () => paid().length,
      (n) => n === 4,
      { what: 'four payouts after resume', timeoutMs: 30_000 },
    );
    // Once each, and t1's in the order its events came.
    expect(new Set(paid().map((r) => r.idempotencyKey)).size).toBe(4);
    const t1 = paid()
      .filter((r) => r.idempotencyKey?.startsWith(`${TYPE}/t1:`))
      .map((r) => (JSON.parse(r.body) as { checkpoint: string }).checkpoint);
    expect(t1).toEqual(['a', 'b', 'c']);
    await eventually(
      () => waitingEntities(engine.client, CONNECTOR),
      (ids) => ids.length === 0,
      { what: 'no entity waiting any more' },
    );
    for (const team of ['t1', 't2']) {
      expect(await engine.client.workflow.getHandle(`${TYPE}/${team}`).query(deadLettersQuery)).toEqual([]);
    }
    const list = await hunt('connectors', 'list');
    expect(list.stdout).not.toContain(CONNECTOR);
  }, 120_000);
});
