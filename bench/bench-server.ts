/**
 * The bench's own Temporal dev server: the provisioned CLI, a temporary state directory and free
 * ports, with the same flags `npm start` uses (src/dev/dev-server.ts), so a fresh machine can run
 * the bench after `npm ci`.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { TEMPORAL_SERVER_VERSION } from '../src/cluster/cluster-binaries.js';
import { freeClusterPorts } from '../src/cluster/cluster-ports.js';
import { clusterFiles, repoRoot, startCluster, type Cluster } from '../src/cluster/cluster.js';
import {
  DevServerStartError,
  devServerArgs,
  PortInUseError,
  startDevServer,
  type DevServer,
} from '../src/dev/dev-server.js';

export interface BenchServer {
  address: string;
  /** The `temporal server start-dev` flags, recorded in the results. */
  flags: string[];
  /** The dev server's process (its CPU time per event is reported). */
  pid?: number;
  stop(): Promise<void>;
}

/**
 * The one server setting the bench changes from `npm start`'s, for engine and baselines alike: the
 * server suggests continue-as-new at 4,096 history events, and both the engine and B0 honour the
 * suggestion, so one run could not reach scenario 6's 5,000-event history.
 */
export const BENCH_DYNAMIC_CONFIG = { 'limit.historyCount.suggestContinueAsNew': 8_192 };

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface ServerPorts {
  port: number;
  uiPort: number;
}

/**
 * Starts a dev server on ports that were free a moment ago, and on other ones if one was taken in between: the
 * kernel hands the same range to outgoing connections, and a bench run makes many (a 15,000-entity build's server
 * once died with "bind: address already in use"). Three tries; any other failure is thrown at once.
 */
export async function startOnFreePorts(
  start: (ports: ServerPorts) => Promise<DevServer>,
  pick: () => Promise<ServerPorts> = async () => ({ port: await freePort(), uiPort: await freePort() }),
): Promise<{ server: DevServer; ports: ServerPorts }> {
  for (let attempt = 1; ; attempt++) {
    const ports = await pick();
    try {
      return { server: await start(ports), ports };
    } catch (err) {
      const taken =
        err instanceof PortInUseError ||
        (err instanceof DevServerStartError && /address already in use/.test(err.message));
      if (!taken || attempt >= 3) throw err;
    }
  }
}

/** Starts a dev server in a fresh temporary directory on free ports. */
export async function startBenchServer(logger: Logger): Promise<BenchServer> {
  const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-bench-'));
  const options = { stateDir, namespace: 'default', dynamicConfig: BENCH_DYNAMIC_CONFIG };
  let started: { server: DevServer; ports: ServerPorts };
  try {
    started = await startOnFreePorts((ports) => startDevServer({ ...options, ...ports, logger, allowDownload: false }));
  } catch (err) {
    await fs.rm(stateDir, { recursive: true, force: true });
    throw err;
  }
  const { server, ports } = started;
  return {
    address: server.address,
    flags: devServerArgs({ ...options, ...ports }).map((arg) => arg.replace(stateDir, '<tmp>')),
    ...(server.pid !== undefined && { pid: server.pid }),
    stop: async () => {
      await server.stop();
      await fs.rm(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * `--cluster`: the bench on the topology of `npm run cluster` instead — PostgreSQL and the Temporal server
 * (4 history shards, PostgreSQL persistence and visibility, deploy/compose's config) in a temporary
 * directory on free ports. The engine's and the baselines' workers run in the bench process as on the
 * dev server, so both meet the same cluster in the same run.
 */
export async function startBenchCluster(): Promise<BenchServer> {
  const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-bench-cluster-'));
  // PostgreSQL runs as its own user, which must be able to reach its data directory in here.
  await fs.chmod(stateDir, 0o755);
  let cluster: Cluster;
  try {
    cluster = await startCluster({
      stateDir,
      ports: await freeClusterPorts(),
      configPath: path.join(repoRoot, 'examples/treasure-hunt/hunt.yaml'),
      engine: false,
      log: (message) => process.stderr.write(`${message}\n`),
    });
  } catch (err) {
    await fs.rm(stateDir, { recursive: true, force: true });
    throw err;
  }
  return {
    address: cluster.address,
    flags: [
      `temporal-server ${TEMPORAL_SERVER_VERSION}`,
      `numHistoryShards=${cluster.historyShards}`,
      'persistence=postgres12 (PostgreSQL from Debian, loopback)',
      `config=${path.relative(repoRoot, clusterFiles.serverConfig)}`,
      `dynamicConfig=${path.relative(repoRoot, clusterFiles.dynamicConfig)}`,
    ],
    stop: async () => {
      await cluster.stop();
      await fs.rm(stateDir, { recursive: true, force: true });
    },
  };
}
