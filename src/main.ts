/**
 * `npm start`: the whole engine in one process tree — the embedded Temporal dev server (unless
 * TEMPORAL_ADDRESS), the worker, the ingest API and the sandbox partner systems — with a clean
 * shutdown on Ctrl-C / SIGTERM.
 */
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { loadCompiledConfig } from './config/index.js';
import { loadConnectorModules } from './config/connector-modules.js';
import { EngineError } from './contract/engine-error.js';
import { EntityDelivery } from './client/delivery.js';
import { startDevServer, type DevServer } from './dev/dev-server.js';
import { ensureSearchAttributes } from './dev/search-attributes.js';
import { devSecrets } from './dev/dev-secrets.js';
import { createLogger, installTemporalLogger } from './logging/logger.js';
import type { Sandbox } from './sandbox/sandbox-server.js';
import { loadSettings, type Settings } from './settings/settings.js';
import { connectClient, connectWorker } from './settings/temporal-connection.js';
import { TemporalConfigRegistry } from './worker/config-registry.js';
import { ConfigStore } from './worker/config-store.js';
import { createEngineWorkers } from './worker/worker.js';
import { startupBanner } from './startup-banner.js';
import { compressDurations } from './demo/demo-speed.js';

/** Sandbox systems and the environment variable the example config reads each one's URL from. */
const sandboxUrlVariables: Record<string, string> = {
  mailer: 'MAILER_URL',
  payouts: 'PAYOUTS_URL',
  leaderboard: 'LEADERBOARD_URL',
};

async function main(settings: Settings, logger: Logger, cleanups: Array<() => Promise<void>>): Promise<void> {
  // A worker loads and checks its TypeScript connectors before anything starts: a missing one is a config error.
  const runsConnectors = settings.HUNT_ROLE !== 'ingest';
  const config = compressDurations(
    await loadCompiledConfig(settings.configPath, { connectorModules: runsConnectors }),
    settings.HUNT_DEMO_SPEED,
  );
  logger.info({ config: config.name, version: config.version, file: settings.configPath }, 'configuration loaded');
  if (config.demoSpeed)
    logger.warn({ demoSpeed: config.demoSpeed }, 'rule windows compressed for a demo (HUNT_DEMO_SPEED)');

  await fs.mkdir(settings.stateDir, { recursive: true });
  const env: Record<string, string | undefined> = { ...process.env };
  let sandbox: Sandbox | undefined;
  // What only one role or the sandbox needs is imported when it runs: a worker does not load Fastify, KafkaJS or
  // the sandbox's mail server (`npm run bench:worker`).
  if (settings.HUNT_SANDBOX && settings.HUNT_ROLE !== 'ingest') {
    const { startSandbox } = await import('./sandbox/sandbox-server.js');
    sandbox = await startSandbox({
      host: '127.0.0.1',
      port: settings.HUNT_SANDBOX_PORT,
      logFile: `${settings.stateDir}/sandbox-requests.jsonl`,
    });
    cleanups.push(() => sandbox!.close());
    for (const [system, variable] of Object.entries(sandboxUrlVariables)) env[variable] ??= sandbox.url(system);
    if (sandbox.smtpUrl) env.CERTIFICATE_SMTP_URL ??= sandbox.smtpUrl;
  }
  if (settings.embedded) Object.assign(env, await devSecrets(config, settings.stateDir, env, logger));

  let devServer: DevServer | undefined;
  if (settings.embedded) {
    devServer = await startDevServer({
      stateDir: settings.stateDir,
      port: settings.TEMPORAL_DEV_PORT,
      uiPort: settings.TEMPORAL_DEV_UI_PORT,
      namespace: settings.TEMPORAL_NAMESPACE,
      logger,
    });
    cleanups.push(() => devServer!.stop());
  }

  const connection = await connectClient(settings);
  cleanups.push(() => connection.close());
  if (!settings.embedded) {
    await ensureSearchAttributes(settings.temporalAddress, settings.TEMPORAL_NAMESPACE, logger, connection).catch(
      (err: unknown) => logger.warn({ err }, 'could not register search attributes; ask an admin to add them'),
    );
  }
  const client = new Client({ connection, namespace: settings.TEMPORAL_NAMESPACE });
  const delivery = new EntityDelivery({
    client,
    taskQueue: settings.HUNT_TASK_QUEUE,
    config,
    coalesceWindowMs: settings.HUNT_COALESCE_MS,
  });
  cleanups.push(() => delivery.flush());

  const running: Array<Promise<void>> = [];
  if (settings.HUNT_ROLE !== 'ingest') {
    // Config versions live in Temporal, so every worker can run every version an entity is pinned to.
    const registry = new TemporalConfigRegistry(client, settings.HUNT_TASK_QUEUE);
    const configStore = new ConfigStore(config, registry);
    await configStore.publish(config);
    const imported = await registry.importDirectory(`${settings.stateDir}/configs`);
    if (imported.length > 0) logger.info({ versions: imported }, 'config versions from files recorded in Temporal');
    const { modules: connectorModules } = await loadConnectorModules(config, settings.configPath);
    const nativeConnection = await connectWorker(settings);
    const workers = await createEngineWorkers({
      connection: nativeConnection,
      namespace: settings.TEMPORAL_NAMESPACE,
      taskQueue: settings.HUNT_TASK_QUEUE,
      configStore,
      logger,
      env,
      deliverer: delivery,
      connectorModules,
      ...(settings.HUNT_MAX_CACHED_WORKFLOWS !== undefined && {
        maxCachedWorkflows: settings.HUNT_MAX_CACHED_WORKFLOWS,
      }),
      ...(settings.HUNT_WORKFLOW_THREADS !== undefined && { workflowThreads: settings.HUNT_WORKFLOW_THREADS }),
    });
    const run = workers.run();
    running.push(run);
    cleanups.push(async () => {
      workers.shutdown();
      await run;
      await nativeConnection.close();
    });
    logger.info({ taskQueue: settings.HUNT_TASK_QUEUE }, 'worker running');

    // The sandbox also stands in for the team's own Temporal worker: the prize workflow its rules start.
    if (sandbox) {
      const { prizeTaskQueues, prizeWorkflowsPath, startPrizeWorkers } = await import('./sandbox/prize-worker.js');
      const prizes = await startPrizeWorkers({
        workflowsPath: prizeWorkflowsPath(settings.configPath),
        connection: nativeConnection,
        namespace: settings.TEMPORAL_NAMESPACE,
        taskQueues: prizeTaskQueues(config),
        cacheDir: `${settings.stateDir}/cache`,
        logger,
      });
      running.push(prizes.done);
      cleanups.push(() => prizes.stop());
    }
  }

  if (settings.HUNT_ROLE !== 'worker') {
    // Recorded requests hold payloads as received (personal data too): only where the operator asks.
    const recording = settings.HUNT_RECORD_REQUESTS
      ? createWriteStream(settings.HUNT_RECORD_REQUESTS, { flags: 'a' })
      : undefined;
    if (recording) {
      logger.warn({ file: settings.HUNT_RECORD_REQUESTS }, 'recording every verified native webhook request');
      cleanups.push(() => new Promise<void>((resolve) => recording.end(resolve)));
    }
    const { buildIngestServer } = await import('./ingest/ingest-server.js');
    const { kafkaSourceNames, startKafkaSources } = await import('./ingest/kafka/kafka-sources.js');
    const app = buildIngestServer({
      config,
      delivery,
      client,
      logger,
      env,
      bodyLimit: settings.HUNT_BODY_LIMIT,
      maxBatch: settings.HUNT_MAX_BATCH,
      webUiUrl: settings.TEMPORAL_UI_URL ?? devServer?.uiUrl,
      localDevelopment: settings.embedded,
      taskQueue: settings.HUNT_TASK_QUEUE,
      ...(recording && { recordRequest: (record) => recording.write(`${JSON.stringify(record)}\n`) }),
    });
    await app.listen({ host: settings.HUNT_HOST, port: settings.HUNT_PORT }).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new IngestPortInUseError(settings.HUNT_PORT);
      throw err;
    });
    cleanups.push(() => app.close());
    // An ingest-only process runs until its server closes (HUNT_ROLE=ingest has no worker to wait on).
    running.push(new Promise<void>((resolve) => app.server.once('close', () => resolve())));
    // Kafka sources are consumed in the ingest role; they stop first, committing what Temporal holds.
    if (kafkaSourceNames(config).length > 0) {
      const kafka = await startKafkaSources({ config, delivery, logger, env });
      cleanups.push(() => kafka.stop());
      logger.info({ sources: kafkaSourceNames(config) }, 'kafka sources consuming');
    }
  }

  process.stdout.write(startupBanner({ settings, config, env, devServer, sandbox }));
  // A worker that stops on its own (fatal error) ends the process too; so does the ingest server closing.
  await Promise.all(running);
}

/** The ingest API's port is taken. */
class IngestPortInUseError extends EngineError {
  override readonly name = 'IngestPortInUseError';
  readonly code = 'PORT_IN_USE';
  constructor(port: number) {
    super(`Port ${port} (ingest API) is already in use. Stop that process, or choose another port with HUNT_PORT.`);
  }
}

const cleanups: Array<() => Promise<void>> = [];
let logger: Logger | undefined;
let stopping = false;

/** Runs cleanups in reverse order (ingest, worker, connections, server), each once. */
async function shutdown(reason: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger?.info({ reason }, 'shutting down');
  for (const cleanup of cleanups.reverse()) {
    await cleanup().catch((err: unknown) => logger?.error({ err }, 'error during shutdown'));
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void shutdown(signal).then(() => process.exit(0));
  });
}

try {
  const settings = loadSettings();
  logger = createLogger(settings);
  installTemporalLogger(logger);
  await main(settings, logger, cleanups);
  await shutdown('worker stopped');
} catch (err) {
  // Known errors carry a message written for people; print it alone, without a stack.
  const known = err instanceof EngineError;
  if (logger && !known) logger.fatal({ err }, 'engine failed');
  process.stderr.write(`\n${known ? err.message : String(err)}\n`);
  await shutdown('startup failed');
  process.exit(1);
}
