/**
 * Issue 22 through the reference configuration, against the dev server and the real sandbox partners: the winner's
 * payout keeps the provider's transfer id (the call's `result`, folded by the hunt and sent on to the team), and a
 * finishing team starts its own prize fulfilment workflow — hosted by the sandbox's prize worker, as `npm start`
 * hosts it — which the warehouse's `prize.packed` signals and whose completion or failure the team folds.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileConfigText } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { eventsQuery, stateQuery } from '../../src/contract/messages.js';
import type { EngineEvent } from '../../src/rules/types.js';
import {
  prizeTaskQueues,
  prizeWorkflowBundle,
  prizeWorkflowsPath,
  startPrizeWorkers,
  type PrizeWorkers,
} from '../../src/sandbox/prize-worker.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import { eventually } from '../reliability/harness/eventually.js';
import { referenceEnv } from '../helpers/scenario-runner.js';
import {
  startTestEngine,
  temporalTestContext,
  uniqueName,
  workflowBundle,
  type TestEngine,
} from '../helpers/temporal.js';

const logger = pino({ level: 'silent' });
const prizeQueue = uniqueName('prizes');
let config: CompiledConfig;
let sandbox: Sandbox;
let engine: TestEngine;
let prizes: PrizeWorkers;
let cacheDir: string;

const event = (source: string, type: string, data: Record<string, unknown>, id = uniqueName('evt')): EngineEvent => ({
  id,
  source,
  type,
  specversion: '1.0',
  data: data as EngineEvent['data'],
});

/** Pays, then scans all five checkpoints; returns the id of the final scan (the finishing event). */
async function playToFinish(team: string, hunt: string, extra: Record<string, unknown> = {}): Promise<string> {
  await engine.delivery.publish([
    event('payments', 'payment.succeeded', {
      teamId: team,
      huntId: hunt,
      amount: 40,
      email: `captain@${team}.example`,
      ...extra,
    }),
  ]);
  let last = '';
  for (const cp of ['cp-1', 'cp-2', 'cp-3', 'cp-4', 'cp-5']) {
    last = uniqueName(`scan-${cp}`);
    await engine.delivery.publish([
      event('scanners', 'checkpoint.scanned', { teamId: team, huntId: hunt, checkpoint: cp }, last),
    ]);
  }
  return last;
}

beforeAll(async () => {
  // The reference configuration as written, its prize task queue made this file's own (the server is shared).
  const text = (await fs.readFile('examples/treasure-hunt/hunt.yaml', 'utf8')).replace(
    'taskQueue: treasure-hunt-prizes',
    `taskQueue: ${prizeQueue}`,
  );
  const compiled = compileConfigText(text, 'hunt.yaml');
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
  config = compiled.config;
  expect(prizeTaskQueues(config)).toEqual([prizeQueue]);
  sandbox = await startSandbox();
  cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-prize-bundle-'));
  const ctx = await temporalTestContext();
  prizes = await startPrizeWorkers({
    workflowsPath: prizeWorkflowsPath('examples/treasure-hunt/hunt.yaml'),
    connection: ctx.nativeConnection,
    namespace: ctx.namespace,
    taskQueues: prizeTaskQueues(config),
    cacheDir,
    logger,
  });
  engine = await startTestEngine(config, { env: referenceEnv((s) => sandbox.url(s)) });
}, 180_000);

afterAll(async () => {
  await engine?.stop();
  await prizes?.stop();
  await sandbox?.close();
  if (cacheDir) await fs.rm(cacheDir, { recursive: true, force: true });
});

describe('the reference configuration: transfer id and prize fulfilment', () => {
  it('a finishing team gets the transfer id, its prize workflow is started once, signalled, and ships', async () => {
    const team = uniqueName('red-foxes');
    const hunt = uniqueName('spring');
    const finalScan = await playToFinish(team, hunt);
    const entity = engine.client.workflow.getHandle(`team/${team}`);

    // The payout's answer: the sandbox's transfer id, folded by the hunt and sent on to the team.
    const paid = await eventually(
      () => entity.query(stateQuery),
      (v) => typeof v.state.transferId === 'string',
      { what: 'the transfer id in the team state', timeoutMs: 60_000 },
    );
    const payout = sandbox
      .requests()
      .find((r) => r.system === 'payouts' && r.outcome === 'ok' && r.body.includes(`"${team}"`));
    const transferId = (JSON.parse(payout!.response!) as { transferId: string }).transferId;
    expect(transferId).toMatch(/^tr_\d+$/);
    expect(paid.state.transferId).toBe(transferId);
    const huntView = await engine.client.workflow.getHandle(`hunt/${hunt}`).query(stateQuery);
    expect(huntView.state.winnerTransferId).toBe(transferId);
    // A later action of the same rule read it: the winner announcement carries it.
    await eventually(
      () => Promise.resolve(sandbox.requests()),
      (rs) => rs.some((r) => r.system === 'mailer' && r.body.includes('"winner"') && r.body.includes(transferId)),
      { what: 'the winner announcement with the transfer id' },
    );

    // The prize workflow: id = the start action's idempotency key, running on the sandbox's prize worker.
    const prizeId = `team/${team}:${finalScan}:finish-hunt:1`;
    expect(paid.state.prizeWorkflow).toBe(prizeId);
    const prize = engine.client.workflow.getHandle(prizeId);
    await eventually(
      () =>
        prize.describe().then(
          (d) => d.status.name,
          () => 'NOT_STARTED',
        ),
      (status) => status === 'RUNNING',
      { what: 'the prize workflow running' },
    );
    // The finishing scan delivered again, and the workers restarted: still one prize workflow.
    await engine.delivery.publish([
      event('scanners', 'checkpoint.scanned', { teamId: team, huntId: hunt, checkpoint: 'cp-5' }, finalScan),
    ]);
    const taskQueue = engine.taskQueue;
    await engine.stop();
    engine = await startTestEngine(config, { taskQueue, env: referenceEnv((s) => sandbox.url(s)) });

    // The warehouse packed it (organisers' console): the team's rule signals the workflow, which ships.
    await engine.delivery.publish([event('admin', 'prize.packed', { teamId: team, carrier: 'dhl' })]);
    const shipped = await eventually(
      () => entity.query(stateQuery),
      (v) => v.state.prizeStatus === 'shipped',
      { what: 'the shipment in the team state', timeoutMs: 90_000 },
    );
    expect(shipped.state).toMatchObject({
      prizeStatus: 'shipped',
      trackingId: `trk-${team}-dhl`,
      carrier: 'dhl',
      transferId,
    });
    const description = await prize.describe();
    expect(description.status.name).toBe('COMPLETED');
    expect(await prize.result()).toMatchObject({ team, prize: 'finisher-medal', carrier: 'dhl' });
    // Web UI links both ways: the prize workflow names the team, the team lists the prize workflow.
    expect(description.memo?.startedBy).toMatchObject({ entity: `team/${team}`, ruleId: 'finish-hunt' });
    expect((await entity.describe()).memo?.startedWorkflows).toEqual([prizeId]);
    // The tracking id mailed to the team by the prize-shipped rule.
    await eventually(
      () => Promise.resolve(sandbox.requests()),
      (rs) => rs.some((r) => r.system === 'mailer' && r.body.includes('prize-shipped') && r.body.includes(team)),
      { what: 'the prize-shipped mail' },
    );

    // Once each: one run of the prize workflow, one prize.shipped, one payout.sent.
    let runs = 0;
    for await (const _ of engine.client.workflow.list({ query: `WorkflowId = "${prizeId}"` })) runs++;
    expect(runs).toBe(1);
    const events = await entity.query(eventsQuery);
    expect(events.filter((e) => e.type === 'prize.shipped')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'payout.sent')).toHaveLength(1);
    // The team's history (start, restart, re-delivery, signal, outcome) replays with the current workflow code.
    const history = await entity.fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: workflowBundle(), replayName: 'prize-team' }, history);
  }, 240_000);

  it('a prize the warehouse does not have comes back as prize.failed, folded into the team', async () => {
    const team = uniqueName('blue-owls');
    await playToFinish(team, uniqueName('autumn'), { prize: 'signed-map' });
    const entity = engine.client.workflow.getHandle(`team/${team}`);
    const view = await eventually(
      () => entity.query(stateQuery),
      (v) => v.state.prizeStatus === 'failed',
      { what: 'the failed fulfilment in the team state', timeoutMs: 90_000 },
    );
    expect(view.state).toMatchObject({ prize: 'signed-map', prizeError: 'prize "signed-map" is out of stock' });
    expect((await entity.query(eventsQuery)).filter((e) => e.type === 'prize.failed')).toHaveLength(1);
    await eventually(
      () => Promise.resolve(sandbox.requests()),
      (rs) => rs.some((r) => r.system === 'mailer' && r.body.includes('prize-failed') && r.body.includes(team)),
      { what: 'the organisers’ alert' },
    );
  }, 180_000);

  it('finds the workflow beside the configuration, and runs nothing (saying why) for a configuration without it', async () => {
    expect(prizeWorkflowsPath('examples/treasure-hunt/hunt.yaml')).toBe(
      path.resolve('examples/treasure-hunt/workflows/prize-fulfilment.ts'),
    );
    const warnings: string[] = [];
    const ctx = await temporalTestContext();
    const none = await startPrizeWorkers({
      workflowsPath: prizeWorkflowsPath('examples/incidents/incidents.yaml'),
      connection: ctx.nativeConnection,
      namespace: ctx.namespace,
      taskQueues: [uniqueName('prizes')],
      logger: pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) }),
    });
    expect(none.taskQueues).toEqual([]);
    await none.stop();
    expect(warnings.join('')).toContain('examples/incidents/workflows/prize-fulfilment.ts');
  });

  it('bundles the prize workflow once: a second start reads the bundle kept in the cache directory', async () => {
    const files = (await fs.readdir(cacheDir)).filter((f) => f.startsWith('prize-workflow-bundle-'));
    expect(files).toHaveLength(1);
    const kept = await fs.readFile(path.join(cacheDir, files[0]!), 'utf8');
    // Marked, so reading it back (not bundling again) is what the second call can only have done.
    await fs.writeFile(path.join(cacheDir, files[0]!), `${kept}\n// kept`);
    const again = await prizeWorkflowBundle(prizeWorkflowsPath('examples/treasure-hunt/hunt.yaml'), cacheDir, logger);
    expect(again.code.endsWith('// kept')).toBe(true);
  });
});
