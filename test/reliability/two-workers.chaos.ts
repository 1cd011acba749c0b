/**
 * Scenario 3 — two workers on one task queue, one SIGKILLed mid-burst and never restarted. Proves: the
 * survivor takes over every entity (none stuck: each holds all its events), every acknowledged event is
 * in its entity's history once, and every action reaches the partner once. Runs with `npm run chaos` only.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EntityDelivery } from '../../src/client/delivery.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import { temporalTestContext, uniqueName, type TemporalTestContext } from '../helpers/temporal.js';
import { chaosConfig, chaosConfigPath } from './harness/chaos-config.js';
import { printChaosFigure } from './harness/chaos-figure.js';
import { auditLogs, readEntityLog } from './harness/entity-history.js';
import { entitiesBehind } from './harness/entity-progress.js';
import { burstEntities, scanBurst, sendBurst } from './harness/event-burst.js';
import { eventually } from './harness/eventually.js';
import { auditPartner, expectedKey } from './harness/partner-audit.js';
import { startWorkerProcess, type WorkerProcess } from './harness/worker-process.js';

const ENTITIES = 100;
const PER_ENTITY = 20;

let ctx: TemporalTestContext;
let sandbox: Sandbox;
let stateDir: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  ctx = await temporalTestContext();
  sandbox = await startSandbox({ systems: ['partner'] });
  stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-chaos-two-'));
});
afterAll(async () => {
  for (const worker of workers) await worker.stop();
  await sandbox?.close();
  if (stateDir) await fs.rm(stateDir, { recursive: true, force: true });
});

describe('scenario 3: two workers, one killed', () => {
  it('the surviving worker finishes every entity; nothing lost, nothing doubled', async () => {
    const config = chaosConfig();
    const taskQueue = uniqueName('chaos-two');
    for (const label of ['worker-a', 'worker-b']) {
      workers.push(
        startWorkerProcess({
          temporalAddress: ctx.address,
          taskQueue,
          configPath: chaosConfigPath,
          stateDir,
          env: { PARTNER_URL: sandbox.url('partner') },
          label,
        }),
      );
    }
    await Promise.all(workers.map((w) => w.ready()));
    const [victim, survivor] = workers as [WorkerProcess, WorkerProcess];

    const prefix = uniqueName('two');
    const events = scanBurst(prefix, ENTITIES, PER_ENTITY);
    const delivery = new EntityDelivery({ client: ctx.client, taskQueue, config, coalesceWindowMs: 5 });
    const applied = () => sandbox.requests().filter((r) => r.outcome === 'ok').length;
    const sending = sendBurst(delivery, events, { concurrency: 40 });
    const killedAt = await eventually(
      async () => applied(),
      (n) => n >= events.length / 4,
      { timeoutMs: 300_000, intervalMs: 50, what: 'a quarter of the burst applied' },
    );
    await victim.kill();
    const burst = await sending;
    await delivery.flush();

    const entityIds = burstEntities(prefix, ENTITIES);
    await eventually(
      () => entitiesBehind(ctx.client, new Map(entityIds.map((id) => [id, PER_ENTITY]))),
      (behind) => behind.length === 0,
      { timeoutMs: 600_000, intervalMs: 2_000, what: 'no entity stuck: each holding all its events' },
    );
    const expectedKeys = events.map((e) =>
      expectedKey(`team/${(e.data as { teamId: string }).teamId}`, e.id, 'notify'),
    );
    const partner = await eventually(
      async () => auditPartner(sandbox.requests(), expectedKeys),
      (audit) => audit.missing.length === 0,
      { timeoutMs: 600_000, intervalMs: 2_000, what: 'every action applied' },
    );
    const logs = await Promise.all(entityIds.map((id) => readEntityLog(ctx.client, id)));
    const history = auditLogs(
      logs,
      burst.acknowledged,
      events.map((e) => e.id),
    );
    printChaosFigure('two-workers', {
      sent: events.length,
      acknowledged: burst.acknowledged.size,
      inHistory: history.onceInHistory,
      actionsExpected: expectedKeys.length,
      delivered: partner.delivered,
      duplicates: partner.duplicates,
      extra: { entities: ENTITIES, appliedBeforeKill: killedAt },
    });

    expect(survivor.child.exitCode, survivor.output()).toBeNull();
    expect(killedAt).toBeLessThan(expectedKeys.length);
    expect(burst.acknowledged.size).toBe(events.length);
    expect(history.missing).toEqual([]);
    expect(history.repeated).toEqual([]);
    expect(history.onceInHistory).toBe(events.length);
    expect(partner.appliedTwice).toEqual([]);
    expect(partner.unexpected).toEqual([]);
    expect(partner.delivered).toBe(expectedKeys.length);
  }, 900_000);
});
