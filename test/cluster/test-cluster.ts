/**
 * A whole cluster for a test (src/cluster): free ports, a temporary state directory, the reliability
 * config and an in-test partner sandbox whose requests the test audits. Teardown stops every process and
 * reports any that outlived it.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { provisionClusterBinaries } from '../../src/cluster/cluster-binaries.js';
import { freeClusterPorts } from '../../src/cluster/cluster-ports.js';
import { startCluster, type Cluster } from '../../src/cluster/cluster.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import { chaosConfigPath } from '../reliability/harness/chaos-config.js';

export interface TestCluster {
  cluster: Cluster;
  partner: Sandbox;
  client: Client;
  connection: Connection;
  /** Milliseconds from nothing to every part ready (binaries already built). */
  startMs: number;
  /** Stops everything; returns the pids still alive afterwards (should be none). */
  teardown(): Promise<number[]>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Builds what is missing (minutes, once per machine), then starts a cluster and connects a client. */
export async function startTestCluster(): Promise<TestCluster> {
  const log = (message: string) => process.stderr.write(`[cluster] ${message}\n`);
  const binaries = await provisionClusterBinaries({ log });
  const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-cluster-'));
  // PostgreSQL runs as its own user, which must be able to reach its data directory in here.
  await fs.chmod(stateDir, 0o755);
  const partner = await startSandbox({ systems: ['partner'] });
  const started = Date.now();
  let cluster: Cluster;
  try {
    cluster = await startCluster({
      stateDir,
      ports: await freeClusterPorts(),
      configPath: chaosConfigPath,
      taskQueue: 'cluster-test',
      sandbox: false,
      engineEnv: { PARTNER_URL: partner.url('partner'), HUNT_COALESCE_MS: '5' },
      engineLogLevel: 'warn',
      binaries,
      log: () => undefined,
    });
  } catch (err) {
    await partner.close();
    await fs.rm(stateDir, { recursive: true, force: true });
    throw err;
  }
  const startMs = Date.now() - started;
  const connection = await Connection.connect({ address: cluster.address });
  const client = new Client({ connection, namespace: cluster.namespace });
  return {
    cluster,
    partner,
    client,
    connection,
    startMs,
    teardown: async () => {
      const pids = cluster.all().flatMap((p) => (p.pid ? [p.pid] : []));
      await connection.close();
      await cluster.stop();
      await partner.close();
      await fs.rm(stateDir, { recursive: true, force: true });
      return pids.filter(alive);
    },
  };
}

/** Sum of a Prometheus counter on one ingest instance's /metrics. */
export async function counterSum(url: string, metric: string): Promise<number> {
  const text = await (await fetch(url)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${metric}{`) || line.startsWith(`${metric} `)) sum += Number(line.split(' ').pop());
  }
  return sum;
}
