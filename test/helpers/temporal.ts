/**
 * Integration-test access to the run's shared Temporal dev server (see global-setup.ts): a client,
 * a native connection, and engine workers on a task queue of the test's own, so tests stay independent.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import pino from 'pino';
import { inject } from 'vitest';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { EntityDelivery } from '../../src/client/delivery.js';
import { startDevServer } from '../../src/dev/dev-server.js';
import { TemporalConfigRegistry } from '../../src/worker/config-registry.js';
import { ConfigStore } from '../../src/worker/config-store.js';
import { createEngineWorkers, type EngineWorkers } from '../../src/worker/worker.js';
import { freePort } from './free-port.js';
import { installSdkTestLogger } from './sdk-log.js';

export interface TemporalTestContext {
  address: string;
  namespace: string;
  client: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
}

let shared: Promise<TemporalTestContext> | undefined;

/** The shared dev server's address; throws with the setup failure when Temporal could not start. */
export function temporalAddress(): string {
  const temporal = inject('temporal');
  if ('error' in temporal) throw new Error(`The test Temporal server did not start:\n${temporal.error}`);
  return temporal.address;
}

/** The workflow bundle built once per run; throws with the bundler's error when the workflow code did not build. */
export function workflowBundle(): { codePath: string } {
  const bundle = inject('workflowBundle');
  if ('error' in bundle) throw new Error(`The workflow bundle did not build:\n${bundle.error}`);
  return bundle;
}

/** Client and connections to the shared server, opened once per test file. */
export function temporalTestContext(): Promise<TemporalTestContext> {
  shared ??= (async () => {
    const address = temporalAddress();
    installSdkTestLogger();
    const connection = await Connection.connect({ address });
    const nativeConnection = await NativeConnection.connect({ address });
    return { address, namespace: 'default', client: new Client({ connection }), connection, nativeConnection };
  })();
  return shared;
}

export interface PrivateTemporal extends TemporalTestContext {
  stop(): Promise<void>;
}

/**
 * A dev server of the test file's own (same CLI, same search attributes as `npm start`), for a test that reads
 * the whole namespace — an export, a bulk plan — and must not see the other files' entities on the shared one.
 */
export async function startPrivateTemporal(): Promise<PrivateTemporal> {
  const stateDir = await mkdtemp(join(tmpdir(), 'hunt-private-temporal-'));
  const server = await startDevServer({
    stateDir,
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
    logger: pino({ level: 'silent' }),
    allowDownload: false,
  });
  installSdkTestLogger();
  const connection = await Connection.connect({ address: server.address });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  return {
    address: server.address,
    namespace: 'default',
    client: new Client({ connection }),
    connection,
    nativeConnection,
    stop: async () => {
      await nativeConnection.close();
      await connection.close();
      await server.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** A name no other test uses (task queues, entity keys). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export interface TestEngine {
  taskQueue: string;
  client: Client;
  configStore: ConfigStore;
  delivery: EntityDelivery;
  workers: EngineWorkers;
  /** Drains the workers and waits for them to stop. */
  stop(): Promise<void>;
}

/** Starts the engine's workers for `config` on a fresh task queue against the shared server. */
export async function startTestEngine(
  config: CompiledConfig,
  options: {
    env?: Record<string, string | undefined>;
    taskQueue?: string;
    logger?: pino.Logger;
    /** Record and read config versions in Temporal (as deployments do); default: this process's memory only. */
    registry?: boolean;
    /** Another server than the run's shared one (see startPrivateTemporal). */
    context?: TemporalTestContext;
  } = {},
): Promise<TestEngine> {
  const ctx = options.context ?? (await temporalTestContext());
  const taskQueue = options.taskQueue ?? uniqueName('test');
  const logger = options.logger ?? pino({ level: 'silent' });
  const configStore = new ConfigStore(
    config,
    options.registry ? new TemporalConfigRegistry(ctx.client, taskQueue) : undefined,
  );
  await configStore.publish(config);
  const delivery = new EntityDelivery({ client: ctx.client, taskQueue, config, coalesceWindowMs: 0 });
  const workers = await createEngineWorkers({
    connection: ctx.nativeConnection,
    namespace: ctx.namespace,
    taskQueue,
    configStore,
    logger,
    env: options.env ?? {},
    deliverer: delivery,
    workflowBundle: workflowBundle(),
  });
  const running = workers.run();
  return {
    taskQueue,
    client: ctx.client,
    configStore,
    delivery,
    workers,
    stop: async () => {
      workers.shutdown();
      await running;
    },
  };
}
