/**
 * What `npm run cluster` runs, found or made like the CLI is (src/dev/temporal-cli.ts): the Temporal
 * server and its SQL schema tool at the version the CLI bundles, and the Web UI server, each built
 * once from Go modules into the cache (keyed by version); PostgreSQL and nginx from Debian's packages,
 * installed with apt-get when they are missing.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { goInstall } from '../dev/go-install.js';
import { defaultCacheRoot, findOnPath, isExecutable, provisionTemporalCli } from '../dev/temporal-cli.js';

/** The server the Temporal CLI v1.5.1 bundles (its go.mod requires go.temporal.io/server v1.29.1). */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
/** The Web UI server the same CLI embeds (github.com/temporalio/ui-server/v2 v2.42.1 in its go.mod). */
export const TEMPORAL_UI_SERVER_VERSION = 'v2.42.1';

/** Each Go-built binary: its package, version, cache folder and file name. */
export const goBinaries = {
  server: {
    pkg: 'go.temporal.io/server/cmd/server',
    version: TEMPORAL_SERVER_VERSION,
    folder: 'temporal-server',
    file: 'temporal-server',
    what: 'the Temporal server',
  },
  sqlTool: {
    pkg: 'go.temporal.io/server/cmd/tools/sql',
    version: TEMPORAL_SERVER_VERSION,
    folder: 'temporal-server',
    file: 'temporal-sql-tool',
    what: 'the Temporal SQL schema tool',
  },
  uiServer: {
    pkg: 'github.com/temporalio/ui-server/v2/cmd/server',
    version: TEMPORAL_UI_SERVER_VERSION,
    folder: 'temporal-ui-server',
    file: 'temporal-ui-server',
    what: 'the Temporal Web UI server',
  },
} as const;

export type GoBinary = keyof typeof goBinaries;

export interface ClusterBinaries {
  server: string;
  sqlTool: string;
  uiServer: string;
  /** The Temporal CLI (namespace and search attribute setup, as compose's admin tools do). */
  cli: string;
  /** PostgreSQL's bin directory (initdb, postgres, pg_isready). */
  postgresBin: string;
  nginx: string;
}

/** Nothing could provide a part of the cluster: says which, and what to do. */
export class ClusterSetupError extends Error {
  override readonly name = 'ClusterSetupError';
  readonly code = 'CLUSTER_SETUP_FAILED';
}

export interface ProvisionClusterOptions {
  env?: Record<string, string | undefined>;
  cacheRoot?: string;
  log?: (message: string) => void;
}

/** Where one Go-built binary is cached. */
export function goBinaryPath(binary: GoBinary, cacheRoot: string): string {
  const spec = goBinaries[binary];
  return path.join(cacheRoot, spec.folder, spec.version, spec.file);
}

async function provisionGoBinary(
  binary: GoBinary,
  cacheRoot: string,
  env: Record<string, string | undefined>,
  log: (message: string) => void,
): Promise<string> {
  const cached = goBinaryPath(binary, cacheRoot);
  if (await isExecutable(cached)) return cached;
  const go = await findOnPath('go', env.PATH);
  const spec = goBinaries[binary];
  if (!go) {
    throw new ClusterSetupError(
      `${spec.what} ${spec.version} is not built yet and Go is not on PATH. Install Go (https://go.dev/dl), ` +
        `or build it elsewhere with \`go install ${spec.pkg}@${spec.version}\` and copy it to ${cached}.`,
    );
  }
  log(`Building ${spec.what} ${spec.version} from Go modules (first run only; takes several minutes)…`);
  return goInstall({
    go,
    pkg: spec.pkg,
    version: spec.version,
    cacheDir: path.dirname(cached),
    binaryName: spec.file,
    what: spec.what,
    env,
    log,
  });
}

/** The newest PostgreSQL bin directory Debian's packages installed (`/usr/lib/postgresql/<major>/bin`). */
async function findPostgresBin(): Promise<string | undefined> {
  const root = '/usr/lib/postgresql';
  const majors = await fs.readdir(root).catch(() => [] as string[]);
  for (const major of majors.sort((a, b) => Number(b) - Number(a))) {
    const bin = path.join(root, major, 'bin');
    if (await isExecutable(path.join(bin, 'postgres'))) return bin;
  }
  return undefined;
}

async function findNginx(env: Record<string, string | undefined>): Promise<string | undefined> {
  if (await isExecutable('/usr/sbin/nginx')) return '/usr/sbin/nginx';
  return findOnPath('nginx', env.PATH);
}

/** Installs Debian packages with apt-get (as root), saying what it does. */
function aptInstall(packages: string[], log: (message: string) => void): void {
  if (process.getuid?.() !== 0) {
    throw new ClusterSetupError(
      `The cluster needs Debian's ${packages.join(' and ')}. Install them with:\n` +
        `  sudo apt-get update && sudo apt-get install -y ${packages.join(' ')}`,
    );
  }
  log(`Installing ${packages.join(', ')} from Debian's packages (apt-get)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', ...packages],
  ]) {
    const result = spawnSync('apt-get', args, { env, encoding: 'utf8' });
    if (result.status !== 0) {
      throw new ClusterSetupError(
        `apt-get ${args.join(' ')} failed (exit ${result.status}):\n${(result.stderr || result.stdout || '').trim()}`,
      );
    }
  }
}

/** Finds or makes every binary the cluster runs; builds and installs what is missing. */
export async function provisionClusterBinaries(options: ProvisionClusterOptions = {}): Promise<ClusterBinaries> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const cacheRoot = options.cacheRoot ?? defaultCacheRoot(env);

  const missing: string[] = [];
  if (!(await findPostgresBin())) missing.push('postgresql');
  if (!(await findNginx(env))) missing.push('nginx');
  if (missing.length > 0) aptInstall(missing, log);
  const postgresBin = await findPostgresBin();
  const nginx = await findNginx(env);
  if (!postgresBin || !nginx) throw new ClusterSetupError('PostgreSQL or nginx is still missing after apt-get install');

  // One after another: each build uses every core, and later ones reuse the Go build cache.
  const cli = (await provisionTemporalCli({ env, log, ...(options.cacheRoot && { cacheRoot }) })).path;
  const server = await provisionGoBinary('server', cacheRoot, env, log);
  const sqlTool = await provisionGoBinary('sqlTool', cacheRoot, env, log);
  const uiServer = await provisionGoBinary('uiServer', cacheRoot, env, log);
  return { server, sqlTool, uiServer, cli, postgresBin, nginx };
}
