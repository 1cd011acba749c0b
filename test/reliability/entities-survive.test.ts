/**
 * Scenario 8 — entities survive rolling deploys and operator mistakes. Proves, for each case: every
 * acknowledged event is in its entity's log exactly once, every entity's state equals the simulator's fold
 * of its logged events, and no entity's workflow failed (all running at the end).
 * - rolling deploy: two worker processes on one task queue, one with config v1 and one with v2, each with a
 *   state directory of its own (no shared volume); entities created on both; a migrate to v2; then the v1
 *   worker replaced by a v2 worker while events flow;
 * - operator mistakes while events flow: a migrate to an unknown version; an entity's workflow terminated by
 *   hand (its events refused until `hunt revive`); `temporal workflow reset` to an earlier point (signals
 *   after it re-applied once); the worker's state directory deleted, then the worker restarted.
 * Short by default (`npm test`); larger with CHAOS=full (`npm run chaos`).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { compileConfigText } from '../../src/config/index.js';
import { EntityDelivery } from '../../src/client/delivery.js';
import { migrateEntity } from '../../src/client/migrate-entity.js';
import { reviveEntity } from '../../src/client/revive-entity.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import { stateQuery } from '../../src/contract/messages.js';
import { temporalTestContext, uniqueName, type TemporalTestContext } from '../helpers/temporal.js';
import { chaosSize } from './harness/chaos-scale.js';
import { chaosConfig, chaosConfigPath } from './harness/chaos-config.js';
import { printChaosFigure } from './harness/chaos-figure.js';
import { auditLogs, readEntityLog } from './harness/entity-history.js';
import { entitiesBehind } from './harness/entity-progress.js';
import { burstEntities, scanBurst, sendBurst, type BurstResult } from './harness/event-burst.js';
import { eventually } from './harness/eventually.js';
import { auditFolds } from './harness/fold-audit.js';
import { auditPartner, expectedKey } from './harness/partner-audit.js';
import { startWorkerProcess, type WorkerProcess } from './harness/worker-process.js';

const ENTITIES = chaosSize(8, 60);
const PER_ENTITY = chaosSize(12, 30);
const TIMEOUT_MS = chaosSize(240_000, 900_000);

let ctx: TemporalTestContext;
let sandbox: Sandbox;
let dir: string;
const workers: WorkerProcess[] = [];

/** The chaos config with a different call body (v2): same state fold, same idempotency keys, another version. */
function v2Text(): string {
  return readFileSync(chaosConfigPath, 'utf8').replace(
    "body: { team: '{{ entity.key }}', n: '{{ data.n }}' }",
    "body: { team: '{{ entity.key }}', n: '{{ data.n }}', v: 2 }",
  );
}

function compile(text: string, file: string): CompiledConfig {
  const result = compileConfigText(text, file);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config;
}

beforeAll(async () => {
  ctx = await temporalTestContext();
  sandbox = await startSandbox({ systems: ['partner'] });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-chaos-survive-'));
});
afterAll(async () => {
  for (const worker of workers) await worker.stop();
  await sandbox?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

function startWorker(label: string, taskQueue: string, configPath: string, stateDir: string): WorkerProcess {
  const worker = startWorkerProcess({
    temporalAddress: ctx.address,
    taskQueue,
    configPath,
    stateDir,
    env: { PARTNER_URL: sandbox.url('partner') },
    label,
  });
  workers.push(worker);
  return worker;
}

/** Waits for every entity to hold its events, then audits logs, folds and partner calls; prints the figure. */
async function settleAndAudit(
  scenario: string,
  config: CompiledConfig,
  prefix: string,
  events: EngineEvent[],
  burst: BurstResult,
  requestsBefore: number,
  extra: Record<string, number | string> = {},
) {
  const ids = burstEntities(prefix, ENTITIES);
  const perEntity = new Map(ids.map((id) => [id, 0]));
  for (const e of events) {
    if (!burst.acknowledged.has(e.id)) continue;
    const id = `team/${(e.data as { teamId: string }).teamId}`;
    perEntity.set(id, perEntity.get(id)! + 1);
  }
  await eventually(
    () => entitiesBehind(ctx.client, perEntity),
    (behind) => behind.length === 0,
    { timeoutMs: TIMEOUT_MS, intervalMs: 1_000, what: `${scenario}: every entity holding its acknowledged events` },
  );
  const logs = await Promise.all(ids.map((id) => readEntityLog(ctx.client, id)));
  const history = auditLogs(
    logs,
    burst.acknowledged,
    events.map((e) => e.id),
  );
  const folds = await auditFolds(ctx.client, config, logs, new Map(events.map((e) => [e.id, e])));
  const acknowledgedEvents = events.filter((e) => burst.acknowledged.has(e.id));
  const keys = acknowledgedEvents.map((e) =>
    expectedKey(`team/${(e.data as { teamId: string }).teamId}`, e.id, 'notify'),
  );
  const partner = await eventually(
    async () => auditPartner(sandbox.requests().slice(requestsBefore), keys),
    (audit) => audit.missing.length === 0,
    { timeoutMs: TIMEOUT_MS, intervalMs: 1_000, what: `${scenario}: every action applied` },
  );
  printChaosFigure(scenario, {
    sent: events.length,
    acknowledged: burst.acknowledged.size,
    inHistory: history.onceInHistory,
    actionsExpected: keys.length,
    delivered: partner.delivered,
    duplicates: partner.duplicates,
    extra: {
      entities: folds.entities,
      statesEqualFold: folds.statesEqual,
      entitiesFailed: folds.notRunning.length,
      refusedThenRetried: burst.retries,
      ...extra,
    },
  });
  expect(burst.refused).toEqual(new Map());
  expect(burst.acknowledged.size).toBe(events.length);
  expect(history.missing).toEqual([]);
  expect(history.repeated).toEqual([]);
  expect(folds.differing).toEqual([]);
  expect(folds.notRunning).toEqual([]);
  expect(partner.appliedTwice).toEqual([]);
  expect(partner.unexpected).toEqual([]);
}

/** Sends a burst in the background, calling `fault` once `atFraction` of it was acknowledged. */
async function burstWithFault(
  delivery: EntityDelivery,
  events: EngineEvent[],
  fault: () => Promise<void>,
  atFraction = 0.25,
): Promise<BurstResult> {
  let faulted: Promise<void> | undefined;
  const burst = await sendBurst(delivery, events, {
    concurrency: 4,
    // Spread over a few seconds, so the fault happens while events flow.
    paceMs: 40,
    retryEveryMs: 250,
    retryUntil: Date.now() + TIMEOUT_MS,
    onProgress: (done) => {
      if (faulted === undefined && done >= events.length * atFraction) faulted = fault();
    },
  });
  await faulted;
  await delivery.flush();
  return burst;
}

describe('scenario 8: entities survive rolling deploys and operator mistakes', () => {
  it(
    'rolling deploy: v1 and v2 workers on one queue, a migrate to v2, the v1 worker replaced while events flow',
    async () => {
      const v1 = chaosConfig();
      const v2Path = path.join(dir, 'chaos-hunt-v2.yaml');
      await fs.writeFile(v2Path, v2Text());
      const v2 = compile(v2Text(), v2Path);
      const taskQueue = uniqueName('chaos-roll');
      const prefix = uniqueName('roll');
      const requestsBefore = sandbox.requests().length;
      const a = startWorker('worker-v1', taskQueue, chaosConfigPath, path.join(dir, 'a'));
      const b = startWorker('worker-v2', taskQueue, v2Path, path.join(dir, 'b'));
      await Promise.all([a.ready(), b.ready()]);

      const events = scanBurst(prefix, ENTITIES, PER_ENTITY);
      const half = Math.floor(events.length / 2);
      const delivery = new EntityDelivery({ client: ctx.client, taskQueue, config: v1, coalesceWindowMs: 5 });
      const first = await sendBurst(delivery, events.slice(0, half), { concurrency: 8 });
      const ids = burstEntities(prefix, ENTITIES);
      const versions = await Promise.all(ids.map((id) => ctx.client.workflow.getHandle(id).query(stateQuery)));
      const created = { v1: versions.filter((v) => v.configVersion === v1.version).length };
      // Even entities move to v2; odd ones stay on v1.
      const toV2 = ids.filter((_, i) => i % 2 === 0);
      const onV1 = ids.filter((_, i) => i % 2 === 1);
      const migrated = await Promise.all(
        toV2.map((id) => migrateEntity(ctx.client.workflow.getHandle(id), v2.version)),
      );

      // Replace the v1 worker by a v2 worker while the second half flows; then the v1 entities start new runs
      // (an explicit migrate to v1), which only v2 workers can run: they read v1 from Temporal.
      let replaced: WorkerProcess | undefined;
      const second = await burstWithFault(delivery, events.slice(half), async () => {
        await a.stop();
        replaced = startWorker('worker-v2-replacement', taskQueue, v2Path, path.join(dir, 'c'));
        await replaced.ready();
        for (const id of onV1) await migrateEntity(ctx.client.workflow.getHandle(id), v1.version);
      });
      const burst: BurstResult = {
        acknowledged: new Set([...first.acknowledged, ...second.acknowledged]),
        refused: new Map([...first.refused, ...second.refused]),
        retries: first.retries + second.retries,
      };
      await settleAndAudit('rolling-deploy', v1, prefix, events, burst, requestsBefore, {
        createdOnV1: created.v1,
        createdOnV2: ENTITIES - created.v1,
        migratedToV2: migrated.filter((m) => m.to === v2.version).length,
        v1RunsOnV2Workers: onV1.length,
      });
      const versionOf = async (id: string) => (await ctx.client.workflow.getHandle(id).query(stateQuery)).configVersion;
      expect(new Set(await Promise.all(toV2.map(versionOf)))).toEqual(new Set([v2.version]));
      expect(new Set(await Promise.all(onV1.map(versionOf)))).toEqual(new Set([v1.version]));
      expect(b.child.exitCode, b.output()).toBeNull();
      expect(replaced?.child.exitCode).toBeNull();
      await Promise.all([b.stop(), replaced?.stop()]);
    },
    TIMEOUT_MS + 120_000,
  );

  it(
    'operator mistakes mid-burst: migrate to an unknown version, terminate by hand, reset to an earlier point',
    async () => {
      const config = chaosConfig();
      const taskQueue = uniqueName('chaos-ops');
      const prefix = uniqueName('ops');
      const requestsBefore = sandbox.requests().length;
      const worker = startWorker('worker-ops', taskQueue, chaosConfigPath, path.join(dir, 'ops'));
      await worker.ready();
      const events = scanBurst(prefix, ENTITIES, PER_ENTITY);
      const ids = burstEntities(prefix, ENTITIES);
      const delivery = new EntityDelivery({ client: ctx.client, taskQueue, config, coalesceWindowMs: 5 });
      const cliPath = (inject('temporal') as { cliPath: string }).cliPath;
      const refusedMigrations: string[] = [];
      let terminated = 0;
      let revived = 0;
      let resets = 0;

      const burst = await burstWithFault(delivery, events, async () => {
        // 1. The first entity terminated by hand; its events are refused (retryable) until it is revived.
        await ctx.client.workflow.getHandle(ids[0]!).terminate('chaos: terminated by hand');
        terminated++;
        // 2. Meanwhile a mistyped migrate for every entity: refused, none harmed.
        for (const id of ids.slice(1)) {
          await migrateEntity(ctx.client.workflow.getHandle(id), 'deadbeefdeadbeef').catch((err: unknown) =>
            refusedMigrations.push(String((err as Error).cause ?? err)),
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        await reviveEntity(ctx.client, ids[0]!);
        revived++;
        // 3. The second entity reset to its first workflow task with the Temporal CLI.
        await promisify(execFile)(cliPath, [
          'workflow',
          'reset',
          '--address',
          ctx.address,
          '--workflow-id',
          ids[1]!,
          '--type',
          'FirstWorkflowTask',
          '--reason',
          'chaos: reset to an earlier point',
        ]);
        resets++;
      });
      expect(refusedMigrations).toHaveLength(ENTITIES - 1);
      // The terminated entity's events were refused while it was down, and went in once revived.
      expect(burst.retries).toBeGreaterThan(0);
      for (const why of refusedMigrations) expect(why).toMatch(/Config version deadbeefdeadbeef is not known/);
      await settleAndAudit('operator-mistakes', config, prefix, events, burst, requestsBefore, {
        migrationsRefused: refusedMigrations.length,
        terminated,
        revived,
        resets,
      });
      await worker.stop();
    },
    TIMEOUT_MS + 120_000,
  );

  it(
    'the state directory deleted under a running worker, then the worker restarted',
    async () => {
      const config = chaosConfig();
      const taskQueue = uniqueName('chaos-dir');
      const prefix = uniqueName('dir');
      const requestsBefore = sandbox.requests().length;
      const stateDir = path.join(dir, 'deleted');
      const worker = startWorker('worker-dir', taskQueue, chaosConfigPath, stateDir);
      await worker.ready();
      const events = scanBurst(prefix, ENTITIES, PER_ENTITY);
      const delivery = new EntityDelivery({ client: ctx.client, taskQueue, config, coalesceWindowMs: 5 });
      let restarted: WorkerProcess | undefined;
      const burst = await burstWithFault(delivery, events, async () => {
        await fs.rm(stateDir, { recursive: true, force: true });
        // New runs (a migrate forces one per entity) load their version from Temporal, not the directory.
        for (const id of burstEntities(prefix, ENTITIES)) await migrateEntity(ctx.client.workflow.getHandle(id));
        await worker.stop();
        restarted = startWorker('worker-dir-restarted', taskQueue, chaosConfigPath, stateDir);
        await restarted.ready();
      });
      await settleAndAudit('state-dir-deleted', config, prefix, events, burst, requestsBefore, { workerRestarts: 1 });
      await restarted?.stop();
    },
    TIMEOUT_MS + 120_000,
  );
});
