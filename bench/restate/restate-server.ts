/**
 * The bench's own Restate server: the binary that ships inside the npm package `@restatedev/restate-server`
 * (its platform package `@restatedev/restate-server-<os>-<arch>`), run with Restate's defaults in a temporary
 * base directory, listening on 127.0.0.1 on free ports. Started at most once per bench run, on first use,
 * and stopped with the bench (`RestateRuntime`).
 *
 * What is set, and why none of it is tuning: the three listen ports and the bind address (so engineers sharing
 * this machine do not collide and nothing listens beyond loopback), the base directory (a fresh temporary one)
 * and `disable-telemetry` (the bench must not phone home). Every performance setting — partitions, RocksDB,
 * WAL fsync, batching, retention — is the server's default; `--dump-config` prints them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { freePort } from '../bench-server.js';

const require = createRequire(import.meta.url);

/** How long the server may take to start on a loaded 2-core machine before the bench gives up. */
const READY_TIMEOUT_MS = 60_000;
/** How much of the server's output is kept for an error message. */
const OUTPUT_TAIL_CHARS = 4_000;

/** What the results record about the Restate side. */
export interface RestateServerInfo {
  version: string;
  /** The environment the server was started with (ports shown as <port>, the base directory as <tmp>). */
  settings: Record<string, string>;
  /** What `settings` changes from the server's defaults, and why. */
  note: string;
}

export interface RestateServer {
  /** Base URL of the HTTP ingress, e.g. `http://127.0.0.1:41234`. */
  ingressUrl: string;
  adminUrl: string;
  pid: number;
  info: RestateServerInfo;
  /** Registers a service deployment (an SDK endpoint) with the admin API; resolves once Restate knows its services. */
  register(endpointUrl: string): Promise<void>;
  stop(): Promise<void>;
}

/** Thrown when the Restate server binary is missing or does not start. */
export class RestateServerError extends Error {
  override readonly name = 'RestateServerError';
  readonly code = 'RESTATE_SERVER_FAILED';
}

/** The path of the server binary inside node_modules (the package's own launcher resolves it the same way). */
export function restateServerBinary(): string {
  const name = `@restatedev/restate-server-${os.platform()}-${os.arch()}/bin/restate-server`;
  try {
    return require.resolve(name);
  } catch {
    throw new RestateServerError(
      `the Restate server binary ${name} is not installed; run \`npm ci\` (it is an optional dependency of ` +
        `@restatedev/restate-server, published for linux and darwin on x64 and arm64)`,
    );
  }
}

function packageVersion(name: string): string {
  return (require(`${name}/package.json`) as { version: string }).version;
}

/** The Restate packages the bench runs, for the results' `versions`. */
export function restateVersions(): Record<string, string> {
  return {
    '@restatedev/restate-server': packageVersion('@restatedev/restate-server'),
    '@restatedev/restate-sdk': packageVersion('@restatedev/restate-sdk'),
  };
}

async function waitUntilReady(
  urls: string[],
  child: ChildProcess,
  output: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (const url of urls) {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new RestateServerError(
          `the Restate server exited during startup (${child.exitCode ?? child.signalCode}):\n${output()}`,
        );
      }
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
        await response.body?.cancel();
        if (response.ok) break;
      } catch {
        // not listening yet
      }
      if (performance.now() > deadline) {
        throw new RestateServerError(`the Restate server did not answer ${url} within ${timeoutMs} ms:\n${output()}`);
      }
      await sleep(100);
    }
  }
}

function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
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

/** Starts a Restate server with its defaults in a fresh temporary directory on free loopback ports. */
export async function startRestateServer(logger: Logger): Promise<RestateServer> {
  const binary = restateServerBinary();
  const baseDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-bench-restate-'));
  const ports = { ingress: await freePort(), admin: await freePort(), fabric: await freePort() };
  const settings: Record<string, string> = {
    RESTATE_BIND_IP: '127.0.0.1',
    RESTATE_INGRESS__BIND_PORT: String(ports.ingress),
    RESTATE_ADMIN__BIND_PORT: String(ports.admin),
    RESTATE_BIND_PORT: String(ports.fabric),
    RESTATE_BASE_DIR: baseDir,
    RESTATE_DISABLE_TELEMETRY: 'true',
    RESTATE_LOG_FORMAT: 'compact',
    RESTATE_LOG_DISABLE_ANSI_CODES: 'true',
  };
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  // cwd is the base directory: the server's Unix sockets (listen-mode `all`, its default) are created relative to it.
  const child = spawn(binary, ['--no-logo'], {
    cwd: baseDir,
    env: { ...process.env, ...settings },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const ingressUrl = `http://127.0.0.1:${ports.ingress}`;
  const adminUrl = `http://127.0.0.1:${ports.admin}`;
  const cleanUp = async () => {
    await stopChild(child);
    await fs.rm(baseDir, { recursive: true, force: true });
  };
  try {
    await spawned;
    await waitUntilReady([`${adminUrl}/health`, `${ingressUrl}/restate/health`], child, () => tail, READY_TIMEOUT_MS);
  } catch (err) {
    await cleanUp();
    throw err instanceof RestateServerError ? err : new RestateServerError(`could not start ${binary}: ${String(err)}`);
  }
  const version = ((await (await fetch(`${adminUrl}/version`)).json()) as { version: string }).version;
  logger.info({ version, ingressUrl, adminUrl }, 'Restate server started');

  const shown = Object.fromEntries(
    Object.entries(settings).map(([name, value]) => [
      name,
      name.endsWith('PORT') ? '<port>' : value === baseDir ? '<tmp>' : value,
    ]),
  );
  return {
    ingressUrl,
    adminUrl,
    pid: child.pid!,
    info: {
      version,
      settings: shown,
      note:
        'defaults otherwise (restate-server --dump-config): 24 partitions, replicated loglet on the local log-server ' +
        'with its RocksDB WAL fsynced, journal and idempotency retention 1 day, listen-mode all',
    },
    register: async (endpointUrl) => {
      const response = await fetch(`${adminUrl}/deployments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ uri: endpointUrl }),
      });
      if (!response.ok) {
        throw new RestateServerError(
          `Restate refused the deployment ${endpointUrl}: ${response.status} ${await response.text()}`,
        );
      }
      await response.body?.cancel();
    },
    stop: cleanUp,
  };
}

/** One Restate server per bench run, started by the first target that needs it. */
export class RestateRuntime {
  private started: Promise<RestateServer> | undefined;
  private startedInfo: RestateServerInfo | undefined;

  constructor(private readonly logger: Logger) {}

  /** The server, started on first call. */
  server(): Promise<RestateServer> {
    this.started ??= startRestateServer(this.logger).then((server) => {
      this.startedInfo = server.info;
      return server;
    });
    return this.started;
  }

  /** What the results record, once a server was started in this run. */
  info(): RestateServerInfo | undefined {
    return this.startedInfo;
  }

  /** Stops the server if it was started (and waits for it to exit). */
  async stop(): Promise<void> {
    const started = this.started;
    this.started = undefined;
    if (!started) return;
    const server = await started.catch(() => undefined);
    await server?.stop();
  }
}
