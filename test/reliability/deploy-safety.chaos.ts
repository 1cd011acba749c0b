/**
 * Scenario 6 — deploy safety: a config change (v1 → v2: a different nudge) and a workflow code change
 * (a new command behind `patched()`) rolled out together while entities have `unless` windows open.
 * Proves: entities started before the rollout keep config v1 and close their windows as v1 said, new
 * entities run v2 and the new code; an explicit migrate moves an old entity to v2 at a continue-as-new
 * boundary; every recorded history replays with the new code (and with the old code where it was
 * recorded), while the same change without `patched()` fails replay — so the replay check can fail.
 * Runs with `npm run chaos` only.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { compileConfigText } from '../../src/config/index.js';
import { EntityDelivery } from '../../src/client/delivery.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import { ConfigStore } from '../../src/worker/config-store.js';
import { createEngineWorkers, type EngineWorkers } from '../../src/worker/worker.js';
import { migrateUpdate, stateQuery } from '../../src/contract/messages.js';
import { temporalTestContext, uniqueName, workflowBundle, type TemporalTestContext } from '../helpers/temporal.js';
import { chaosConfigPath } from './harness/chaos-config.js';
import { printChaosFigure } from './harness/chaos-figure.js';
import { readEntityLog, type EntityLog } from './harness/entity-history.js';
import { eventually } from './harness/eventually.js';
import { auditPartner, expectedKey } from './harness/partner-audit.js';

const ENTITIES = 10;
const WINDOW = '8s';

function configVersion(label: 'v1' | 'v2'): CompiledConfig {
  const rule = `
  - id: nudge
    on: scanned
    unless: { event: scanned, window: ${WINDOW} }
    then:
      - call: partner
        path: /nudge
        body: { version: ${label}, team: '{{ entity.key }}' }
`;
  const text = `${readFileSync(chaosConfigPath, 'utf8').trimEnd()}\n${rule}`;
  const result = compileConfigText(text, `chaos-hunt-${label}.yaml`);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config;
}

async function bundle(file: string): Promise<{ code: string }> {
  const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
  const { code } = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL(`./fixtures/deploy/${file}`, import.meta.url)),
    logger: quiet,
  });
  return { code };
}

let ctx: TemporalTestContext;
let sandbox: Sandbox;
let patchedBundle: { code: string };
let unguardedBundle: { code: string };
const running: Array<{ workers: EngineWorkers; done: Promise<void> }> = [];

beforeAll(async () => {
  ctx = await temporalTestContext();
  sandbox = await startSandbox({ systems: ['partner'] });
  [patchedBundle, unguardedBundle] = await Promise.all([
    bundle('patched-workflows.ts'),
    bundle('unguarded-workflows.ts'),
  ]);
}, 300_000);
afterAll(async () => {
  for (const { workers, done } of running) {
    workers.shutdown();
    await done;
  }
  await sandbox?.close();
});

async function startEngine(
  taskQueue: string,
  config: CompiledConfig,
  code: { codePath: string } | { code: string },
): Promise<{ delivery: EntityDelivery; stop: () => Promise<void> }> {
  const delivery = new EntityDelivery({ client: ctx.client, taskQueue, config, coalesceWindowMs: 0 });
  const workers = await createEngineWorkers({
    connection: ctx.nativeConnection,
    namespace: ctx.namespace,
    taskQueue,
    configStore: new ConfigStore(config),
    logger: pino({ level: 'silent' }),
    env: { PARTNER_URL: sandbox.url('partner') },
    deliverer: delivery,
    workflowBundle: code,
  });
  const entry = { workers, done: workers.run() };
  running.push(entry);
  return {
    delivery,
    stop: async () => {
      workers.shutdown();
      await entry.done;
    },
  };
}

async function replayErrors(code: { codePath: string } | { code: string }, logs: EntityLog[]): Promise<string[]> {
  const histories = logs.flatMap((log) =>
    log.histories.map(({ history }) => ({ workflowId: log.workflowId, history })),
  );
  const errors: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: code }, histories)) {
    if (result.error) errors.push(`${result.workflowId}: ${result.error.name}: ${result.error.message.split('\n')[0]}`);
  }
  return errors;
}

const scan = (teamId: string): EngineEvent => ({
  id: uniqueName('scan'),
  source: 'chaos',
  type: 'scanned',
  specversion: '1.0',
  data: { teamId, n: 0 },
});

describe('scenario 6: deploy safety', () => {
  it('keeps running entities on their config and code until they migrate; histories replay across the change', async () => {
    const v1 = configVersion('v1');
    const v2 = configVersion('v2');
    expect(v1.version).not.toBe(v2.version);
    const taskQueue = uniqueName('chaos-deploy');
    const prefix = uniqueName('deploy');
    const oldTeams = Array.from({ length: ENTITIES }, (_, i) => `${prefix}-old-${i}`);
    const newTeams = Array.from({ length: ENTITIES }, (_, i) => `${prefix}-new-${i}`);
    const handle = (team: string) => ctx.client.workflow.getHandle(`team/${team}`);

    // Before the rollout: committed code, config v1. Each old entity opens an `unless` window.
    const before = await startEngine(taskQueue, v1, workflowBundle());
    const oldScans = oldTeams.map(scan);
    const oldResults = await before.delivery.publish(oldScans);
    expect(oldResults.map((r) => r.status)).toEqual(oldScans.map(() => 'accepted'));
    await before.stop();

    // The rollout: new code (patched) and config v2, while the old windows are still open.
    const after = await startEngine(taskQueue, v2, patchedBundle);
    const newScans = newTeams.map(scan);
    await after.delivery.publish(newScans);
    for (const team of oldTeams) expect((await handle(team).query(stateQuery)).configVersion).toBe(v1.version);
    for (const team of newTeams) expect((await handle(team).query(stateQuery)).configVersion).toBe(v2.version);

    const nudges = await eventually(
      async () => sandbox.requests().filter((r) => r.path.endsWith('/nudge') && r.outcome === 'ok'),
      (seen) => seen.length >= oldTeams.length + newTeams.length,
      { timeoutMs: 120_000, what: 'every window closed with a nudge' },
    );
    const versionOf = (team: string) =>
      nudges
        .filter((r) => (JSON.parse(r.body) as { team: string }).team === team)
        .map((r) => JSON.parse(r.body).version as string);
    for (const team of oldTeams) expect(versionOf(team), team).toEqual(['v1']);
    for (const team of newTeams) expect(versionOf(team), team).toEqual(['v2']);

    // The code change reached only the entities started after it.
    for (const team of oldTeams) expect((await handle(team).describe()).memo?.deployedCode).toBeUndefined();
    for (const team of newTeams) expect((await handle(team).describe()).memo?.deployedCode).toBe('v2');

    // Replay every recorded history: with the new code all pass; the old entities' also with the old code;
    // the unguarded change breaks the old ones.
    const oldLogs = await Promise.all(oldTeams.map((t) => readEntityLog(ctx.client, `team/${t}`)));
    const newLogs = await Promise.all(newTeams.map((t) => readEntityLog(ctx.client, `team/${t}`)));
    expect(await replayErrors(patchedBundle, [...oldLogs, ...newLogs])).toEqual([]);
    expect(await replayErrors(workflowBundle(), oldLogs)).toEqual([]);
    const unguarded = await replayErrors(unguardedBundle, oldLogs);
    expect(unguarded).toHaveLength(oldLogs.length);
    expect(unguarded[0]).toMatch(/Determinism|nondetermin/i);

    // An explicit migrate moves an old entity to v2 at a continue-as-new boundary, state carried.
    const migrated = oldTeams[0]!;
    await handle(migrated).executeUpdate(migrateUpdate, { args: [{}] });
    const view = await eventually(
      () =>
        handle(migrated)
          .query(stateQuery)
          .catch(() => undefined),
      (v) => v?.configVersion === v2.version,
      { timeoutMs: 60_000, what: 'the migrated entity on v2' },
    );
    expect(view?.state.scans).toBe(1);
    expect((await readEntityLog(ctx.client, `team/${migrated}`)).runs).toHaveLength(2);

    const expectedKeys = [...oldScans, ...newScans].map((e) =>
      expectedKey(`team/${(e.data as { teamId: string }).teamId}`, e.id, 'notify'),
    );
    const partner = auditPartner(
      sandbox.requests().filter((r) => r.path.endsWith('/scan')),
      expectedKeys,
    );
    printChaosFigure('deploy-safety', {
      sent: oldScans.length + newScans.length,
      acknowledged: oldResults.length + newScans.length,
      inHistory: [...oldLogs, ...newLogs].reduce((n, log) => n + log.events.length, 0),
      actionsExpected: expectedKeys.length + oldTeams.length + newTeams.length,
      delivered: partner.delivered + nudges.length,
      duplicates: partner.duplicates,
      extra: { historiesReplayed: oldLogs.length * 2 + newLogs.length, unguardedReplayFailures: unguarded.length },
    });
    expect(partner.missing).toEqual([]);
    expect(partner.appliedTwice).toEqual([]);
    await after.stop();
  }, 600_000);
});
