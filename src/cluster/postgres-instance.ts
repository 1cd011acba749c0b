/**
 * Debian's PostgreSQL for the cluster: a database cluster of our own (initdb into the state directory),
 * listening on loopback only, with the role compose's `postgres` image creates (temporal/temporal).
 * PostgreSQL refuses to run as root, so as root it runs as Debian's `postgres` user.
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { ClusterProcess } from './cluster-process.js';
import { ClusterSetupError } from './cluster-binaries.js';

const execFileAsync = promisify(execFile);

export const POSTGRES_USER = 'temporal';
export const POSTGRES_PASSWORD = 'temporal';

export interface PostgresOptions {
  bin: string;
  dataDir: string;
  port: number;
  logFile: string;
}

/** The user to run PostgreSQL as: ourselves, or Debian's `postgres` when we are root. */
function runAsUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) {
    throw new ClusterSetupError(
      'PostgreSQL cannot run as root and there is no `postgres` user (apt-get install postgresql creates it)',
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Creates the data directory with initdb unless it holds a database cluster already. */
export async function initPostgres(options: PostgresOptions, log: (message: string) => void): Promise<boolean> {
  if (
    await fs.stat(path.join(options.dataDir, 'PG_VERSION')).then(
      () => true,
      () => false,
    )
  )
    return false;
  const user = runAsUser();
  await fs.mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const pwfile = path.join(path.dirname(options.dataDir), 'postgres-password');
  await fs.writeFile(pwfile, `${POSTGRES_PASSWORD}\n`, { mode: 0o600 });
  if (user) {
    await fs.chown(options.dataDir, user.uid, user.gid);
    await fs.chown(pwfile, user.uid, user.gid);
  }
  log(`Creating a PostgreSQL database cluster in ${options.dataDir} (initdb)…`);
  const result = spawnSync(
    path.join(options.bin, 'initdb'),
    [
      '--pgdata',
      options.dataDir,
      '--username',
      POSTGRES_USER,
      '--pwfile',
      pwfile,
      '--auth-host',
      'scram-sha-256',
      '--auth-local',
      'peer',
      '--encoding',
      'UTF8',
      '--locale',
      'C',
    ],
    { encoding: 'utf8', ...user },
  );
  await fs.rm(pwfile, { force: true });
  if (result.status !== 0) {
    await fs.rm(options.dataDir, { recursive: true, force: true });
    throw new ClusterSetupError(`initdb failed (exit ${result.status}):\n${(result.stderr || result.stdout).trim()}`);
  }
  return true;
}

/** The PostgreSQL server process (not started yet). */
export function postgresProcess(options: PostgresOptions): ClusterProcess {
  return new ClusterProcess({
    name: 'postgres',
    command: path.join(options.bin, 'postgres'),
    args: [
      '-D',
      options.dataDir,
      '-c',
      `port=${options.port}`,
      '-c',
      'listen_addresses=127.0.0.1',
      // TCP on loopback only: no socket in /var/run/postgresql to collide with the system's server.
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
    ],
    env: { PATH: process.env.PATH, LANG: 'C' },
    ...runAsUser(),
    logFile: options.logFile,
    // Fast shutdown: roll back open transactions, close connections, stop.
    stopSignal: 'SIGINT',
  });
}

/** True once PostgreSQL accepts connections (pg_isready over TCP). */
export async function postgresReady(bin: string, port: number): Promise<boolean> {
  try {
    await execFileAsync(path.join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-q', '-t', '2']);
    return true;
  } catch {
    return false;
  }
}
