/**
 * The embedded Temporal server: `temporal server start-dev` with a persistent database in the
 * state directory, the Web UI, and the engine's search attributes. Reuses a healthy server that is
 * already listening instead of failing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import { searchAttributeDefinitions } from '../contract/search-attributes.js';
import { provisionTemporalCli, TemporalCliUnavailableError, type TemporalCli } from './temporal-cli.js';
import { ensureSearchAttributes } from './search-attributes.js';
import { EngineError } from '../contract/engine-error.js';

export interface DevServerOptions {
  stateDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  logger: Logger;
  env?: Record<string, string | undefined>;
  /** Try the SDK's own download when no CLI can be found or built (needs the internet). Default true. */
  allowDownload?: boolean;
  readyTimeoutMs?: number;
  /** Server dynamic config (`--dynamic-config-value key=value`) over DEV_SERVER_DYNAMIC_CONFIG. */
  dynamicConfig?: Record<string, number | string | boolean>;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  /** 'started' (we run it), 'reused' (it was already running), 'downloaded' (the SDK's download). */
  mode: 'started' | 'reused' | 'downloaded';
  cli?: TemporalCli;
  /** The server process, when this module started it (the bench reads its CPU time). */
  pid?: number;
  stop(): Promise<void>;
}

/** A port the dev server needs is taken by something that is not a Temporal server. */
export class PortInUseError extends EngineError {
  override readonly name = 'PortInUseError';
  readonly code = 'PORT_IN_USE';
  constructor(
    readonly port: number,
    variable: string,
    what: string,
  ) {
    super(
      `Port ${port} (${what}) is already in use by something that is not a Temporal server. ` +
        `Stop that process, or choose another port with ${variable}, or set TEMPORAL_ADDRESS to use an existing Temporal server.`,
    );
  }
}

export class DevServerStartError extends EngineError {
  override readonly name = 'DevServerStartError';
  readonly code = 'DEV_SERVER_START_FAILED';
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function isPortOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/** True when a Temporal frontend answers at the address within the timeout. */
export async function isTemporalServing(address: string, timeoutMs = 3_000): Promise<boolean> {
  let connection: Connection | undefined;
  let timer: NodeJS.Timeout | undefined;
  // Something that is not gRPC may accept the connection and never answer: bound the whole probe.
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const probe = (async () => {
    try {
      connection = await Connection.connect({ address, connectTimeout: timeoutMs });
      await connection.withDeadline(Date.now() + timeoutMs, () => connection!.workflowService.getSystemInfo({}));
      return true;
    } catch {
      return false;
    }
  })();
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
    void probe.finally(() => connection?.close().catch(() => undefined));
  }
}

/** `--search-attribute name=Type` for each of the engine's search attributes. */
function searchAttributeArgs(): string[] {
  return Object.entries(searchAttributeDefinitions).flatMap(([name, type]) => [
    '--search-attribute',
    `${name}=${type}`,
  ]);
}

/**
 * Dynamic config every dev server gets. The dev server has one history shard, and a shard loads new
 * transfer tasks (among them every workflow task to dispatch) at most `transferProcessorMaxPollRPS`
 * times a second. Its default, 20, is sized for clusters of hundreds of shards: on one shard it puts
 * each workflow task not handed over in the previous task's completion on a 50 ms grid.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Record<string, number | string | boolean> = {
  'history.transferProcessorMaxPollRPS': 1_000,
};

/** CLI arguments for `temporal server start-dev` (exported for tests and `--dry-run`). */
export function devServerArgs(
  options: Pick<DevServerOptions, 'stateDir' | 'port' | 'uiPort' | 'namespace' | 'dynamicConfig'>,
): string[] {
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--ui-port',
    String(options.uiPort),
    '--db-filename',
    path.join(options.stateDir, 'temporal.db'),
    '--log-level',
    'warn',
    // WAL lets readers (visibility, UI) proceed while the history writer commits.
    '--sqlite-pragma',
    'journal_mode=wal',
    '--sqlite-pragma',
    'synchronous=normal',
  ];
  if (options.namespace !== 'default') args.push('--namespace', options.namespace);
  for (const [name, type] of Object.entries(searchAttributeDefinitions))
    args.push('--search-attribute', `${name}=${type}`);
  for (const [key, value] of Object.entries({ ...DEV_SERVER_DYNAMIC_CONFIG, ...options.dynamicConfig }))
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  return args;
}

/** Resolves when the child's stdout and stderr have closed, or after a second. */
async function outputClosed(child: ChildProcess): Promise<void> {
  const open = [child.stdout, child.stderr].filter((stream) => stream !== null).filter((stream) => !stream.closed);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(open.map((stream) => once(stream, 'close'))),
    new Promise((resolve) => (timer = setTimeout(resolve, 1_000))),
  ]);
  clearTimeout(timer);
}

async function waitUntilServing(address: string, child: ChildProcess, timeoutMs: number, output: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      // The exit can come before the last of its output (the reason it exited): wait briefly for its streams.
      await outputClosed(child);
      throw new DevServerStartError(
        `The Temporal dev server exited during startup (code ${child.exitCode ?? child.signalCode}):\n${output()}`,
      );
    }
    if (await isTemporalServing(address, 1_000)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new DevServerStartError(
    `The Temporal dev server did not answer on ${address} within ${timeoutMs} ms:\n${output()}`,
  );
}

function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts (or reuses) the embedded Temporal dev server and waits until it answers. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const { logger, port, uiPort } = options;
  const address = `127.0.0.1:${port}`;
  const uiUrl = `http://localhost:${uiPort}`;

  if (await isPortOpen(port)) {
    if (!(await isTemporalServing(address))) throw new PortInUseError(port, 'TEMPORAL_DEV_PORT', 'Temporal gRPC');
    logger.info({ address }, 'reusing the Temporal server already listening');
    await ensureSearchAttributes(address, options.namespace, logger);
    return { address, uiUrl, mode: 'reused', stop: async () => undefined };
  }
  if (await isPortOpen(uiPort)) throw new PortInUseError(uiPort, 'TEMPORAL_DEV_UI_PORT', 'Temporal Web UI');

  await fs.mkdir(options.stateDir, { recursive: true });
  let cli: TemporalCli;
  try {
    cli = await provisionTemporalCli({
      env: options.env,
      log: (message) => logger.info(message),
    });
  } catch (err) {
    if (!(err instanceof TemporalCliUnavailableError) || options.allowDownload === false) throw err;
    return startDownloadedServer(options, err);
  }

  const args = devServerArgs(options);
  logger.info(
    { cli: cli.path, origin: cli.origin, db: path.join(options.stateDir, 'temporal.db') },
    'starting the Temporal dev server',
  );
  const child = spawn(cli.path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // A process that exits without stopping its server (process.exit on Ctrl-C) still stops it: an orphaned
  // server would hold its database, and the next server on the same state directory would share the file.
  const stopOnExit = () => void child.kill('SIGTERM');
  process.once('exit', stopOnExit);
  child.once('exit', () => process.off('exit', stopOnExit));
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const logFile = await fs.open(path.join(options.stateDir, 'temporal.log'), 'a');
  child.stdout?.on('data', (chunk: Buffer) => void logFile.write(chunk));
  child.stderr?.on('data', (chunk: Buffer) => void logFile.write(chunk));
  child.once('exit', () => void logFile.close());

  try {
    await waitUntilServing(address, child, options.readyTimeoutMs ?? 60_000, () => output.trim());
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  logger.info({ address, uiUrl }, 'Temporal dev server is up');
  return {
    address,
    uiUrl,
    mode: 'started',
    cli,
    ...(child.pid !== undefined && { pid: child.pid }),
    stop: () => stopChild(child),
  };
}

/** Last resort: the SDK downloads a dev server (needs the internet, which many machines lack). */
async function startDownloadedServer(
  options: DevServerOptions,
  cause: TemporalCliUnavailableError,
): Promise<DevServer> {
  options.logger.warn('no Temporal CLI found or built; trying the Temporal SDK download (needs the internet)');
  try {
    // The SDK's testing package is large (≈0.4 s to import): only this fallback needs it.
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: '127.0.0.1',
        port: options.port,
        ui: true,
        uiPort: options.uiPort,
        dbFilename: path.join(options.stateDir, 'temporal.db'),
        namespace: options.namespace,
        extraArgs: searchAttributeArgs(),
      },
    });
    return {
      address: `127.0.0.1:${options.port}`,
      uiUrl: `http://localhost:${options.uiPort}`,
      mode: 'downloaded',
      stop: () => env.teardown(),
    };
  } catch (err) {
    throw new TemporalCliUnavailableError([
      ...cause.attempts,
      `the SDK's download: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    ]);
  }
}
