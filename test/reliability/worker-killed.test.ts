/**
 * Scenario 1 — a worker SIGKILLed in the middle of a burst, then restarted. Proves: every acknowledged
 * event is in exactly one entity's history, once; every expected action reached the partner; no
 * idempotency key was applied twice. Short by default; 5,000 events over 200 entities with CHAOS=full.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EntityDelivery } from '../../src/client/delivery.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import { temporalTestContext, uniqueName, type TemporalTestContext } from '../helpers/temporal.js';
import { chaosSize } from './harness/chaos-scale.js';
import { chaosConfig, chaosConfigPath } from './harness/chaos-config.js';
import { printChaosFigure } from './harness/chaos-figure.js';
import { auditLogs, readEntityLog } from './harness/entity-history.js';
import { entitiesBehind } from './harness/entity-progress.js';
import { burstEntities, scanBurst, sendBurst } from './harness/event-burst.js';
import { eventually } from './harness/eventually.js';
import { auditPartner, expectedKey } from './harness/partner-audit.js';
import { startWorkerProcess, type WorkerProcess } from './harness/worker-process.js';

const ENTITIES = chaosSize(20, 200);
const PER_ENTITY = 25;
const TIMEOUT_MS = chaosSize(240_000, 600_000);

let ctx: TemporalTestContext;
let sandbox: Sandbox;
let stateDir: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  ctx = await temporalTestContext();
  sandbox = await startSandbox({ systems: ['partner'] });
  stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-chaos-kill-'));
});
afterAll(async () => {
  for (const worker of workers) await worker.stop();
  await sandbox?.close();
  if (stateDir) await fs.rm(stateDir, { recursive: true, force: true });
});

describe('scenario 1: worker killed mid-burst', () => {
  it(
    'loses nothing and doubles nothing across a SIGKILL and restart',
    async () => {
      const config = chaosConfig();
      const taskQueue = uniqueName('chaos-kill');
      const prefix = uniqueName('kill');
      const startWorker = (label: string) => {
        const worker = startWorkerProcess({
          temporalAddress: ctx.address,
          taskQueue,
          configPath: chaosConfigPath,
          stateDir,
          env: { PARTNER_URL: sandbox.url('partner') },
          label,
        });
        workers.push(worker);
        return worker;
      };
      const first = startWorker('worker-1');
      await first.ready();

      const events = scanBurst(prefix, ENTITIES, PER_ENTITY);
      const delivery = new EntityDelivery({ client: ctx.client, taskQueue, config, coalesceWindowMs: 5 });
      const applied = () => sandbox.requests().filter((r) => r.outcome === 'ok').length;
      const sending = sendBurst(delivery, events, { concurrency: 40 });
      // Kill once the worker is busy with the burst: a quarter of the actions applied, the rest still to come.
      const killedAt = await eventually(
        async () => ({ applied: applied(), sent: delivery.stats.events }),
        (now) => now.applied >= events.length / 4,
        { timeoutMs: TIMEOUT_MS, intervalMs: 50, what: 'the worker applying a quarter of the burst' },
      );
      await first.kill();
      const restarted = startWorker('worker-2').ready();
      const burst = await sending;
      await delivery.flush();
      await restarted;

      const entityIds = burstEntities(prefix, ENTITIES);
      await eventually(
        () => entitiesBehind(ctx.client, new Map(entityIds.map((id) => [id, PER_ENTITY]))),
        (behind) => behind.length === 0,
        { timeoutMs: TIMEOUT_MS, intervalMs: 2_000, what: 'every entity holding all its events' },
      );
      const expectedKeys = events.map((e) =>
        expectedKey(`team/${(e.data as { teamId: string }).teamId}`, e.id, 'notify'),
      );
      const partner = await eventually(
        async () => auditPartner(sandbox.requests(), expectedKeys),
        (audit) => audit.missing.length === 0,
        { timeoutMs: TIMEOUT_MS, intervalMs: 2_000, what: 'every expected action applied by the partner' },
      );
      const logs = await Promise.all(entityIds.map((id) => readEntityLog(ctx.client, id)));
      const history = auditLogs(
        logs,
        burst.acknowledged,
        events.map((e) => e.id),
      );

      printChaosFigure('worker-killed', {
        sent: events.length,
        acknowledged: burst.acknowledged.size,
        inHistory: history.onceInHistory,
        actionsExpected: expectedKeys.length,
        delivered: partner.delivered,
        duplicates: partner.duplicates,
        extra: { entities: ENTITIES, killedAfterSent: killedAt.sent, appliedBeforeKill: killedAt.applied },
      });

      expect(killedAt.applied, 'the kill happened while actions were still pending').toBeLessThan(expectedKeys.length);
      expect(burst.refused.size, [...burst.refused.values()].slice(0, 3).join('\n')).toBe(0);
      expect(burst.acknowledged.size).toBe(events.length);
      expect(history.missing).toEqual([]);
      expect(history.repeated).toEqual([]);
      expect(history.unknown).toEqual([]);
      expect(history.onceInHistory).toBe(burst.acknowledged.size);
      expect(partner.appliedTwice).toEqual([]);
      expect(partner.unexpected).toEqual([]);
      expect(partner.unkeyed).toBe(0);
      expect(partner.delivered).toBe(expectedKeys.length);
    },
    chaosSize(300_000, 900_000),
  );
});
