/**
 * The docker-compose topology as local processes: PostgreSQL, the Temporal server (PostgreSQL
 * persistence and visibility, several history shards) with its schema set up by the SQL tool, the Web
 * UI server, the sandbox partner systems, engine workers (HUNT_ROLE=worker) and ingest instances
 * (HUNT_ROLE=ingest) as separate processes, and nginx balancing the ingest instances. Every file it
 * starts a part with is the one docker-compose.yml mounts (deploy/compose/).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import pino, { type Logger } from 'pino';
import { searchAttributeDefinitions } from '../contract/search-attributes.js';
import { loadCompiledConfig } from '../config/index.js';
import type { CompiledConfig } from '../config/compiled.js';
import { devSecrets } from '../dev/dev-secrets.js';
import { isTemporalServing } from '../dev/dev-server.js';
import { runCollecting } from '../dev/go-install.js';
import { ensureSearchAttributes } from '../dev/search-attributes.js';
import { ClusterSetupError, provisionClusterBinaries, type ClusterBinaries } from './cluster-binaries.js';
import { ClusterProcess } from './cluster-process.js';
import { portsInUse, type ClusterPorts } from './cluster-ports.js';
import { loadBalancerVariables, writeNginxConfig } from './nginx-config.js';
import { initPostgres, POSTGRES_PASSWORD, POSTGRES_USER, postgresProcess, postgresReady } from './postgres-instance.js';

/** The repository root (where deploy/compose and src/main.ts are). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The files the cluster and docker-compose.yml share. */
export const clusterFiles = {
  serverConfig: path.join(repoRoot, 'deploy/compose/temporal/cluster.yaml'),
  dynamicConfig: path.join(repoRoot, 'deploy/compose/dynamicconfig/development-sql.yaml'),
  nginxTemplate: path.join(repoRoot, 'deploy/compose/nginx/ingest.conf.template'),
  uiConfig: path.join(repoRoot, 'deploy/compose/ui/cluster.yaml'),
  schemaScript: path.join(repoRoot, 'deploy/compose/scripts/setup-postgres.sh'),
  namespaceScript: path.join(repoRoot, 'deploy/compose/scripts/create-namespace.sh'),
};

export interface ClusterOptions {
  /** Everything the cluster keeps: PostgreSQL's data, logs, rendered nginx config, each engine process's state. */
  stateDir: string;
  ports: ClusterPorts;
  /** The engine configuration every worker and ingest instance loads. */
  configPath: string;
  namespace?: string;
  taskQueue?: string;
  historyShards?: number;
  workers?: number;
  /** Run the sandbox partner systems as a process and point the example's connectors at it (default true). */
  sandbox?: boolean;
  /** Extra environment for the engine processes (connector URLs, tuning). */
  engineEnv?: Record<string, string>;
  /** Progress lines (default: stderr). */
  log?: (message: string) => void;
  binaries?: ClusterBinaries;
  /** Engine log level (default info). */
  engineLogLevel?: string;
  /** false: only PostgreSQL and the Temporal server (the bench runs its own workers against them). Default true. */
  engine?: boolean;
}

export interface Cluster {
  ports: ClusterPorts;
  stateDir: string;
  address: string;
  namespace: string;
  taskQueue: string;
  historyShards: number;
  /** nginx, in front of the ingest instances. */
  ingestUrl: string;
  uiUrl: string;
  config: CompiledConfig;
  binaries: ClusterBinaries;
  /** The environment the engine processes run with (secrets included). */
  engineEnv: Record<string, string | undefined>;
  postgres: ClusterProcess;
  temporal: ClusterProcess;
  /** Absent with `engine: false` (Temporal and PostgreSQL only), like nginx. */
  ui?: ClusterProcess;
  sandbox?: ClusterProcess;
  workers: ClusterProcess[];
  ingest: ClusterProcess[];
  nginx?: ClusterProcess;
  /** Every process, in start order. */
  all(): ClusterProcess[];
  /** Starts a stopped or killed part again and waits until it is ready. */
  restart(part: ClusterProcess): Promise<void>;
  /** Waits until a started part is ready. */
  ready(part: ClusterProcess): Promise<void>;
  /** Stops everything, in reverse start order; leaves no process. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it is true; fails early with the process's output if it exits. */
async function waitFor(
  what: string,
  part: ClusterProcess,
  check: () => Promise<boolean>,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!part.running) {
      throw new ClusterSetupError(
        `${part.name} exited (${part.exitStatus}) before ${what}; log ${part.spec.logFile}:\n${part.output().slice(-3_000)}`,
      );
    }
    if (await check()) return;
    if (Date.now() > deadline) {
      throw new ClusterSetupError(
        `${what}: not within ${timeoutMs / 1000} s; log ${part.spec.logFile}:\n${part.output().slice(-3_000)}`,
      );
    }
    await sleep(250);
  }
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** Runs one of compose's setup scripts with `sh`; throws with its output when it fails. */
async function runScript(
  script: string,
  env: Record<string, string | undefined>,
  logFile: string,
  log: (message: string) => void,
): Promise<void> {
  const { code, output } = await runCollecting('sh', [script], env, () => undefined);
  await fs.appendFile(logFile, output);
  if (code !== 0) throw new ClusterSetupError(`${path.basename(script)} failed (exit ${code}):\n${output.trim()}`);
  log(`  ${path.relative(repoRoot, script)}: ${output.trim().split('\n').pop() ?? 'ok'}`);
}

/** Brings the whole topology up; on failure, stops whatever it had started and rethrows. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const { ports } = options;
  const stateDir = path.resolve(options.stateDir);
  const logDir = path.join(stateDir, 'logs');
  const namespace = options.namespace ?? 'default';
  const taskQueue = options.taskQueue ?? 'treasure-hunt';
  const historyShards = options.historyShards ?? 4;
  const workerCount = options.workers ?? 2;
  const address = `127.0.0.1:${ports.frontend}`;
  const uiUrl = `http://localhost:${ports.ui}`;
  const ingestUrl = `http://127.0.0.1:${ports.loadBalancer}`;
  await fs.mkdir(logDir, { recursive: true });

  const busy = await portsInUse(ports);
  if (busy.length > 0) {
    throw new ClusterSetupError(
      `Ports ${busy.join(', ')} are in use. Stop what listens there (another \`npm start\` or \`npm run cluster\`?).`,
    );
  }
  const binaries = options.binaries ?? (await provisionClusterBinaries({ log }));
  const config = await loadCompiledConfig(options.configPath);
  const started: ClusterProcess[] = [];
  const readiness = new Map<ClusterProcess, () => Promise<void>>();
  const add = (part: ClusterProcess, ready: () => Promise<void>) => {
    readiness.set(part, ready);
    return part;
  };
  const launch = async (part: ClusterProcess) => {
    part.start();
    if (!started.includes(part)) started.push(part);
    await readiness.get(part)!();
  };
  const stopAll = async () => {
    for (const part of [...started].reverse()) await part.stop();
  };

  let stopped = false;
  const assemble = (
    parts: Pick<Cluster, 'postgres' | 'temporal' | 'ui' | 'sandbox' | 'workers' | 'ingest' | 'nginx' | 'engineEnv'>,
  ): Cluster => ({
    ports,
    stateDir,
    address,
    namespace,
    taskQueue,
    historyShards,
    ingestUrl,
    uiUrl,
    config,
    binaries,
    ...parts,
    all: () => [...started],
    restart: (part) => launch(part),
    ready: (part) => readiness.get(part)!(),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await stopAll();
    },
  });

  try {
    // PostgreSQL, with the databases and schema compose's admin tools set up.
    const pgOptions = {
      bin: binaries.postgresBin,
      dataDir: path.join(stateDir, 'postgres'),
      port: ports.postgres,
      logFile: path.join(logDir, 'postgres.log'),
    };
    await initPostgres(pgOptions, log);
    const postgres = add(postgresProcess(pgOptions), () =>
      waitFor('PostgreSQL accepting connections', postgres, () => postgresReady(binaries.postgresBin, ports.postgres)),
    );
    log(`Starting PostgreSQL on 127.0.0.1:${ports.postgres}…`);
    await launch(postgres);
    const toolPath = [path.dirname(binaries.sqlTool), path.dirname(binaries.cli), process.env.PATH].join(':');
    const dbEnv = {
      POSTGRES_SEEDS: '127.0.0.1',
      DB_PORT: String(ports.postgres),
      POSTGRES_USER,
      POSTGRES_PWD: POSTGRES_PASSWORD,
    };
    log('Setting up the Temporal schema (temporal-sql-tool)…');
    await runScript(
      clusterFiles.schemaScript,
      { PATH: toolPath, ...dbEnv, SQL_PASSWORD: POSTGRES_PASSWORD },
      path.join(logDir, 'schema-setup.log'),
      log,
    );

    // The Temporal server: all four services in one process, as the temporalio/server image runs them.
    const temporal = add(
      new ClusterProcess({
        name: 'temporal',
        command: binaries.server,
        args: [
          '--root',
          path.dirname(clusterFiles.serverConfig),
          '--config',
          '.',
          '--env',
          path.basename(clusterFiles.serverConfig, '.yaml'),
          '--allow-no-auth',
          'start',
        ],
        env: {
          PATH: process.env.PATH,
          ...dbEnv,
          NUM_HISTORY_SHARDS: String(historyShards),
          BIND_ON_IP: '127.0.0.1',
          TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
          TEMPORAL_FRONTEND_PORT: String(ports.frontend),
          TEMPORAL_FRONTEND_HTTP_PORT: String(ports.frontendHttp),
          TEMPORAL_FRONTEND_MEMBERSHIP_PORT: String(ports.frontendMembership),
          TEMPORAL_HISTORY_PORT: String(ports.history),
          TEMPORAL_HISTORY_MEMBERSHIP_PORT: String(ports.historyMembership),
          TEMPORAL_MATCHING_PORT: String(ports.matching),
          TEMPORAL_MATCHING_MEMBERSHIP_PORT: String(ports.matchingMembership),
          TEMPORAL_WORKER_PORT: String(ports.worker),
          TEMPORAL_WORKER_MEMBERSHIP_PORT: String(ports.workerMembership),
          TEMPORAL_METRICS_PORT: String(ports.metrics),
          DYNAMIC_CONFIG_FILE_PATH: clusterFiles.dynamicConfig,
        },
        logFile: path.join(logDir, 'temporal.log'),
      }),
      () => waitFor(`the Temporal frontend answering on ${address}`, temporal, () => isTemporalServing(address, 2_000)),
    );
    log(`Starting the Temporal server on ${address} (${historyShards} history shards, PostgreSQL persistence)…`);
    await launch(temporal);
    await runScript(
      clusterFiles.namespaceScript,
      { PATH: toolPath, HOME: process.env.HOME, TEMPORAL_ADDRESS: address, DEFAULT_NAMESPACE: namespace },
      path.join(logDir, 'namespace-setup.log'),
      log,
    );
    await ensureAllSearchAttributes(address, namespace, temporal);
    if (options.engine === false) return assemble({ postgres, temporal, workers: [], ingest: [], engineEnv: {} });

    // The Web UI server, and the sandbox partner systems compose runs as `hunt-sandbox`.
    const ui = add(
      new ClusterProcess({
        name: 'ui',
        command: binaries.uiServer,
        args: [
          '--root',
          path.dirname(clusterFiles.uiConfig),
          '--config',
          '.',
          '--env',
          path.basename(clusterFiles.uiConfig, '.yaml'),
          'start',
        ],
        env: {
          PATH: process.env.PATH,
          TEMPORAL_ADDRESS: address,
          TEMPORAL_UI_PORT: String(ports.ui),
          TEMPORAL_DEFAULT_NAMESPACE: namespace,
          TEMPORAL_CORS_ORIGINS: ingestUrl,
        },
        logFile: path.join(logDir, 'ui.log'),
      }),
      () => waitFor(`the Web UI on ${uiUrl}`, ui, () => httpOk(`${uiUrl}/`)),
    );
    const node = (name: string, args: string[], env: Record<string, string | undefined>) =>
      new ClusterProcess({
        name,
        command: process.execPath,
        args: ['--import', 'tsx', ...args],
        cwd: repoRoot,
        env,
        logFile: path.join(logDir, `${name}.log`),
      });
    let sandbox: ClusterProcess | undefined;
    const sandboxUrl = `http://127.0.0.1:${ports.sandbox}`;
    if (options.sandbox !== false) {
      sandbox = add(
        node(
          'sandbox',
          [
            'src/cli/main.ts',
            'sandbox',
            '--host',
            '127.0.0.1',
            '--port',
            String(ports.sandbox),
            '--smtp-port',
            String(ports.sandboxSmtp),
            '--quiet',
            '--log',
            path.join(stateDir, 'sandbox-requests.jsonl'),
          ],
          { ...process.env, LOG_FORMAT: 'json' },
        ),
        () => waitFor(`the sandbox on ${sandboxUrl}`, sandbox!, () => httpOk(`${sandboxUrl}/_requests`)),
      );
    }
    log('Starting the Web UI server' + (sandbox ? ' and the sandbox partner systems…' : '…'));
    await Promise.all([launch(ui), ...(sandbox ? [launch(sandbox)] : [])]);

    // The engine: workers and ingest instances, each its own process with its own state directory
    // (as containers without a shared volume would be).
    const base: Record<string, string | undefined> = {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
      HUNT_TASK_QUEUE: taskQueue,
      HUNT_CONFIG: path.resolve(options.configPath),
      HUNT_SANDBOX: 'false',
      TEMPORAL_UI_URL: uiUrl,
      LOG_FORMAT: 'json',
      LOG_LEVEL: options.engineLogLevel ?? 'info',
      ...(sandbox && {
        MAILER_URL: `${sandboxUrl}/mailer`,
        PAYOUTS_URL: `${sandboxUrl}/payouts`,
        LEADERBOARD_URL: `${sandboxUrl}/leaderboard`,
        CERTIFICATE_SMTP_URL: `smtp://127.0.0.1:${ports.sandboxSmtp}`,
      }),
      ...options.engineEnv,
    };
    // Secrets the config needs and the environment lacks: generated once, shared by every instance.
    const engineEnv = {
      ...base,
      ...(await devSecrets(config, stateDir, base, pino({ level: 'silent' }))),
    };
    const workers = Array.from({ length: workerCount }, (_, i) => {
      const worker: ClusterProcess = add(
        node('worker-' + (i + 1), ['src/main.ts'], {
          ...engineEnv,
          HUNT_ROLE: 'worker',
          HUNT_STATE_DIR: path.join(stateDir, `worker-${i + 1}`),
        }),
        () =>
          waitFor('the worker running', worker, async () => /Treasure Hunt Engine is running/.test(worker.output())),
      );
      return worker;
    });
    const ingest = ports.ingest.map((port, i) => {
      const instance: ClusterProcess = add(
        node('ingest-' + (i + 1), ['src/main.ts'], {
          ...engineEnv,
          HUNT_ROLE: 'ingest',
          HUNT_HOST: '127.0.0.1',
          HUNT_PORT: String(port),
          HUNT_STATE_DIR: path.join(stateDir, `ingest-${i + 1}`),
        }),
        () => waitFor(`ingest-${i + 1} ready on :${port}`, instance, () => httpOk(`http://127.0.0.1:${port}/readyz`)),
      );
      return instance;
    });
    log(`Starting ${workers.length} workers and ${ingest.length} ingest instances…`);
    await Promise.all([...workers, ...ingest].map(launch));

    const nginxConfig = await writeNginxConfig({
      templateFile: clusterFiles.nginxTemplate,
      dir: path.join(stateDir, 'nginx'),
      logDir,
      variables: loadBalancerVariables(
        ports.ingest.map((port) => `127.0.0.1:${port}`),
        `127.0.0.1:${ports.loadBalancer}`,
      ),
    });
    const nginx = add(
      new ClusterProcess({
        name: 'nginx',
        command: binaries.nginx,
        args: ['-c', nginxConfig, '-e', path.join(logDir, 'nginx-error.log'), '-p', path.join(stateDir, 'nginx')],
        env: { PATH: process.env.PATH },
        logFile: path.join(logDir, 'nginx.log'),
      }),
      () => waitFor(`nginx on ${ingestUrl}`, nginx, () => httpOk(`${ingestUrl}/readyz`)),
    );
    log(`Starting nginx on ${ingestUrl} in front of the ingest instances…`);
    await launch(nginx);

    return assemble({ postgres, temporal, ui, ...(sandbox && { sandbox }), workers, ingest, nginx, engineEnv });
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Waits until the namespace has every engine search attribute (a new namespace takes a moment to be known). */
async function ensureAllSearchAttributes(address: string, namespace: string, temporal: ClusterProcess): Promise<void> {
  const silent: Logger = pino({ level: 'silent' });
  const connection = await Connection.connect({ address });
  try {
    await waitFor(`search attributes registered in ${namespace}`, temporal, async () => {
      try {
        await ensureSearchAttributes(address, namespace, silent, connection);
        const listed = await connection.operatorService.listSearchAttributes({ namespace });
        return Object.keys(searchAttributeDefinitions).every((name) => name in (listed.customAttributes ?? {}));
      } catch {
        return false;
      }
    });
  } finally {
    await connection.close();
  }
}
