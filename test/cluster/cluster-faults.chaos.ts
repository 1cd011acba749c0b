/**
 * `npm run chaos -- --cluster`: the fault scenarios on the whole cluster, one after another on one cluster,
 * each under its own steady load through nginx: kill -9 a worker, kill -9 an ingest instance (nginx routes
 * around it; senders retry connection errors), restart the Temporal server, restart PostgreSQL, and pause
 * PostgreSQL for 10 s (SIGSTOP: persistence calls time out). Each prints the chaos table's figures and must
 * show 0 lost and 0 doubled; the killed process is started again before the next scenario.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterProcess } from '../../src/cluster/cluster-process.js';
import { acknowledgedShare, auditPhase, startLoad, type PhaseAudit } from './cluster-load.js';
import { startTestCluster, type TestCluster } from './test-cluster.js';

const ENTITIES = 40;
const PER_ENTITY = 10;
const PER_SECOND = 40;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let t: TestCluster;
const lines: string[] = [];

beforeAll(async () => {
  t = await startTestCluster();
  console.log(`[cluster] up in ${(t.startMs / 1000).toFixed(1)} s`);
});
afterAll(async () => {
  const leftover = await t?.teardown();
  console.log(['[cluster] figures:', ...lines].join('\n'));
  if (leftover?.length) throw new Error(`processes left after stop: ${leftover.join(', ')}`);
});

/** Runs one scenario: load, the fault at 30 % acknowledged, settle, audit. */
async function scenario(name: string, fault: () => Promise<Record<string, number | string>>): Promise<PhaseAudit> {
  const shape = { prefix: name.replace(/[^a-z0-9]+/gi, '-').toLowerCase(), entities: ENTITIES, perEntity: PER_ENTITY };
  const load = startLoad({
    base: t.cluster.ingestUrl,
    ...shape,
    perSecond: PER_SECOND,
    lanes: 10,
    deadlineMs: 600_000,
  });
  await acknowledgedShare(load, 0.3);
  const started = Date.now();
  const extra = await fault();
  await load.done;
  const audit = await auditPhase(name, load, t.client, t.partner, {
    ...shape,
    extra: { ...extra, secondsFromFault: ((Date.now() - started) / 1000).toFixed(1) },
  });
  lines.push(audit.line);
  return audit;
}

function expectNothingLostOrDoubled(audit: PhaseAudit): void {
  expect(audit.acknowledged).toBe(audit.sent);
  expect(audit.lost).toEqual([]);
  expect(audit.doubledOrMissing).toEqual([]);
  expect(audit.appliedTwice).toEqual([]);
  expect(audit.unexpected).toEqual([]);
  expect(audit.delivered).toBe(audit.actionsExpected);
}

/** Kills a process with SIGKILL, waits, and starts it again once the scenario's load is through. */
async function killAndLater(part: ClusterProcess, downMs: number): Promise<Record<string, number>> {
  const pid = part.pid ?? 0;
  await part.kill();
  await sleep(downMs);
  return { killedPid: pid };
}

describe('the cluster under faults (npm run chaos -- --cluster)', () => {
  it('kill -9 one worker: the other takes over', async () => {
    const victim = t.cluster.workers[0]!;
    const audit = await scenario('kill -9 worker', () => killAndLater(victim, 0));
    expectNothingLostOrDoubled(audit);
    await t.cluster.restart(victim);
  });

  it('kill -9 one ingest instance: nginx routes around it, senders retry connection errors', async () => {
    const victim = t.cluster.ingest[0]!;
    const audit = await scenario('kill -9 ingest', () => killAndLater(victim, 0));
    expectNothingLostOrDoubled(audit);
    await t.cluster.restart(victim);
  });

  it('restart the Temporal server process', async () => {
    const audit = await scenario('restart temporal', async () => {
      await t.cluster.temporal.stop();
      await sleep(5_000);
      await t.cluster.restart(t.cluster.temporal);
      return { downSeconds: 5 };
    });
    expectNothingLostOrDoubled(audit);
  });

  it('restart PostgreSQL', async () => {
    const audit = await scenario('restart postgres', async () => {
      await t.cluster.postgres.stop();
      await sleep(5_000);
      await t.cluster.restart(t.cluster.postgres);
      return { downSeconds: 5 };
    });
    expectNothingLostOrDoubled(audit);
  });

  it('pause PostgreSQL for 10 s (SIGSTOP): persistence times out, then recovers', async () => {
    const audit = await scenario('pause postgres 10s', async () => {
      t.cluster.postgres.pause();
      await sleep(10_000);
      t.cluster.postgres.resume();
      return { pausedSeconds: 10 };
    });
    expectNothingLostOrDoubled(audit);
  });
});
