/**
 * Finds or makes a `temporal` CLI binary for the embedded dev server, in this order:
 * TEMPORAL_CLI_PATH → `temporal` on PATH → a cached build (keyed by version) → a build from Go
 * modules → (last) the SDK's own download, where the internet is reachable.
 */
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { goInstall } from './go-install.js';
import { EngineError } from '../contract/engine-error.js';

/** The newest Temporal CLI release whose go.mod installs with `go install …@version`. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/**
 * Built with a newer SQLite driver than v1.5.1 names (modernc.org/sqlite v1.34.1). Before v1.40.1 the driver
 * could leave a read transaction open when a query's context was cancelled; under load (a workflow task past its
 * deadline) the dev server then held an old snapshot forever, no WAL checkpoint could complete, and the WAL grew
 * without bound (3 GB in 12 minutes of one bench build, every read slower as it grew, until the server timed out).
 * https://gitlab.com/cznic/sqlite/-/merge_requests/81
 */
export const TEMPORAL_CLI_UPGRADES: Record<string, string> = { 'modernc.org/sqlite': 'v1.40.1' };
/** The cache key of a build: the release and what it was built with. */
export const TEMPORAL_CLI_BUILD = `${TEMPORAL_CLI_VERSION}+${Object.entries(TEMPORAL_CLI_UPGRADES)
  .map(([module, version]) => `${module.split('/').pop()!}-${version}`)
  .join('+')}`;

export type CliOrigin = 'env' | 'path' | 'cache' | 'go-build';

export interface TemporalCli {
  path: string;
  origin: CliOrigin;
}

export interface ProvisionOptions {
  env?: Record<string, string | undefined> | undefined;
  version?: string;
  /** Cache root; default `$XDG_CACHE_HOME/treasure-hunt` or `~/.cache/treasure-hunt`. */
  cacheRoot?: string | undefined;
  /** Progress lines for the person waiting (a first build takes minutes). */
  log?: (message: string) => void;
  /** Build with Go when nothing is found (default true). */
  allowBuild?: boolean;
  /** How often a Go build says it is still going (default 15 s). */
  progressIntervalMs?: number;
}

/** No way to get a Temporal CLI worked: the message lists every option and what went wrong with each. */
export class TemporalCliUnavailableError extends EngineError {
  override readonly name = 'TemporalCliUnavailableError';
  readonly code = 'TEMPORAL_CLI_UNAVAILABLE';
  constructor(readonly attempts: string[]) {
    super(
      [
        'No Temporal CLI is available to run the embedded Temporal server. Tried:',
        ...attempts.map((a) => `  - ${a}`),
        'Options:',
        '  1. Set TEMPORAL_CLI_PATH to a `temporal` binary (https://docs.temporal.io/cli).',
        '  2. Put `temporal` on your PATH.',
        `  3. Install Go (https://go.dev/dl) and run \`npm run temporal:provision\` to build ${TEMPORAL_CLI_VERSION} into the cache.`,
        '  4. Point TEMPORAL_ADDRESS at a running Temporal server or Temporal Cloud instead.',
      ].join('\n'),
    );
  }
}

/** The project's build cache: `$XDG_CACHE_HOME/treasure-hunt` or `~/.cache/treasure-hunt`. */
export function defaultCacheRoot(env: Record<string, string | undefined> = process.env): string {
  return path.join(env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache'), 'treasure-hunt');
}

/** The cache directory for one CLI version (the project's own build of it by default). */
export function cliCacheDir(options: Pick<ProvisionOptions, 'env' | 'cacheRoot' | 'version'> = {}): string {
  const root = options.cacheRoot ?? defaultCacheRoot(options.env ?? process.env);
  return path.join(root, 'temporal-cli', options.version ?? TEMPORAL_CLI_BUILD);
}

/** True for an executable regular file. */
export async function isExecutable(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return false;
    await fs.access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Looks a command up on PATH, like `which`. */
export async function findOnPath(command: string, envPath: string | undefined): Promise<string | undefined> {
  for (const dir of (envPath ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Finds or builds the Temporal CLI; throws TemporalCliUnavailableError listing the options when nothing works. */
export async function provisionTemporalCli(options: ProvisionOptions = {}): Promise<TemporalCli> {
  const env = options.env ?? process.env;
  const version = options.version ?? TEMPORAL_CLI_VERSION;
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const attempts: string[] = [];

  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (await isExecutable(explicit)) return { path: explicit, origin: 'env' };
    // An explicit choice that does not work is an error, not something to silently route around.
    throw new TemporalCliUnavailableError([`TEMPORAL_CLI_PATH=${explicit}: not an executable file`]);
  }
  attempts.push('TEMPORAL_CLI_PATH: not set');

  const onPath = await findOnPath('temporal', env.PATH);
  if (onPath) return { path: onPath, origin: 'path' };
  attempts.push('`temporal` on PATH: not found');

  // A version asked for explicitly is built as released; the default one with the upgrades.
  const upgrades = options.version === undefined ? TEMPORAL_CLI_UPGRADES : {};
  const cacheDir = cliCacheDir({
    env,
    version: options.version ?? TEMPORAL_CLI_BUILD,
    cacheRoot: options.cacheRoot,
  });
  const cached = path.join(cacheDir, 'temporal');
  if (await isExecutable(cached)) return { path: cached, origin: 'cache' };
  attempts.push(`cached build ${cached}: not there yet`);

  if (options.allowBuild !== false) {
    const go = await findOnPath('go', env.PATH);
    if (!go) {
      attempts.push('build from Go modules: the Go toolchain (`go`) is not on PATH');
    } else {
      log(`Building the Temporal CLI ${version} from Go modules (first run only; takes a few minutes)…`);
      try {
        const built = await goInstall({
          go,
          pkg: TEMPORAL_CLI_MODULE,
          version,
          upgrades,
          cacheDir,
          what: 'the Temporal CLI',
          env,
          log,
          ...(options.progressIntervalMs !== undefined && { progressIntervalMs: options.progressIntervalMs }),
        });
        return { path: built, origin: 'go-build' };
      } catch (err) {
        attempts.push(`build from Go modules: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  } else {
    attempts.push('build from Go modules: disabled');
  }
  throw new TemporalCliUnavailableError(attempts);
}
