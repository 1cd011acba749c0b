/**
 * `npm run cluster`'s topology, proven: PostgreSQL persistence and visibility with 4 history shards, the Web
 * UI talking to that server, two workers polling one task queue, two ingest instances both taking traffic
 * through nginx. Under a steady load through nginx, one ingest instance and one worker are SIGKILLed: nginx
 * routes around the dead instance, the survivor worker takes over, and nothing acknowledged is lost or
 * doubled. Then everything stops and no process is left. (`npm run chaos -- --cluster` runs every fault.)
 */
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acknowledgedShare, auditPhase, startLoad } from './cluster-load.js';
import { counterSum, startTestCluster, type TestCluster } from './test-cluster.js';

let t: TestCluster | undefined;
let leftover: number[] | undefined;

beforeAll(async () => {
  t = await startTestCluster();
  console.log(`[cluster] up in ${(t.startMs / 1000).toFixed(1)} s`);
}, 1_800_000);
afterAll(async () => {
  leftover ??= await t?.teardown();
}, 120_000);

describe('npm run cluster', () => {
  it('runs Temporal on PostgreSQL with 4 history shards, the Web UI on it, 2 workers and 2 ingest instances', async () => {
    const { cluster, connection } = t!;
    const info = await connection.workflowService.getClusterInfo({});
    expect(info.historyShardCount).toBe(4);
    expect(info.persistenceStore).toBe('postgres12');
    expect(info.visibilityStore).toBe('postgres12');
    expect(info.serverVersion).toBe('1.29.1');

    // The Web UI server answers, and its API reads this server's namespace.
    const ui = await fetch(`${cluster.uiUrl}/api/v1/namespaces/${cluster.namespace}`);
    expect(ui.status).toBe(200);
    expect(((await ui.json()) as { namespaceInfo?: { name?: string } }).namespaceInfo?.name).toBe(cluster.namespace);

    const pollers = await connection.workflowService.describeTaskQueue({
      namespace: cluster.namespace,
      taskQueue: { name: cluster.taskQueue },
      taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    const identities = new Set((pollers.pollers ?? []).map((p) => p.identity));
    for (const worker of cluster.workers) {
      expect([...identities].some((id) => id?.startsWith(`${worker.pid}@`))).toBe(true);
    }
    expect(new Set(cluster.all().map((p) => p.pid)).size).toBe(cluster.all().length);
  });

  it('keeps every acknowledged event once when an ingest instance and a worker are SIGKILLed under load', async () => {
    const { cluster, client, partner } = t!;
    const shape = { prefix: 'kill-ingest-worker', entities: 30, perEntity: 8 };
    const load = startLoad({ base: cluster.ingestUrl, ...shape, perSecond: 40, lanes: 8 });
    await acknowledgedShare(load, 0.3);
    // Both instances took a share through nginx before the fault.
    const served = await Promise.all(
      cluster.ports.ingest.map((port) => counterSum(`http://127.0.0.1:${port}/metrics`, 'hunt_ingest_events_total')),
    );
    const [deadIngest, deadWorker] = [cluster.ingest[0]!, cluster.workers[0]!];
    await Promise.all([deadIngest.kill(), deadWorker.kill()]);
    await load.done;
    const audit = await auditPhase('kill -9 ingest + worker', load, client, partner, {
      ...shape,
      extra: { servedBeforeKill: served.join('/') },
    });

    for (const count of served) expect(count).toBeGreaterThan(0);
    expect(cluster.ingest[1]!.running && cluster.workers[1]!.running).toBe(true);
    expect(audit.acknowledged).toBe(audit.sent);
    expect(audit.lost).toEqual([]);
    expect(audit.doubledOrMissing).toEqual([]);
    expect(audit.appliedTwice).toEqual([]);
    expect(audit.unexpected).toEqual([]);
    expect(audit.delivered).toBe(audit.actionsExpected);
  }, 600_000);

  it('stops every process on stop, leaving none', async () => {
    leftover = await t!.teardown();
    expect(leftover).toEqual([]);
  }, 120_000);
});
