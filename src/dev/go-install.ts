/**
 * `go install <module>@<version>` into a cache directory, with progress for the person waiting.
 * Shared by the Temporal CLI provisioning (src/dev/temporal-cli.ts) and the cluster's server, schema
 * tool and Web UI server (src/cluster/cluster-binaries.ts).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';

export interface GoInstallOptions {
  /** The `go` binary. */
  go: string;
  /** Package path, e.g. `go.temporal.io/server/cmd/server`. */
  pkg: string;
  version: string;
  /** Directory the binary lands in. */
  cacheDir: string;
  /** File name in `cacheDir` (default: the package's last path element, as `go install` names it). */
  binaryName?: string;
  /** What to call it in progress lines ("the Temporal CLI"). */
  what: string;
  env: Record<string, string | undefined>;
  log: (message: string) => void;
  /** How often the progress line repeats while Go works (default 15 s). */
  progressIntervalMs?: number;
}

/** Runs a command, keeping the last 8 kB of its output and telling `onLine` about each line. */
export function runCollecting(
  command: string,
  args: string[],
  env: Record<string, string | undefined>,
  onLine: (line: string) => void,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      const text = chunk.toString();
      output = (output + text).slice(-8_000);
      for (const line of text.split('\n')) if (line.trim()) onLine(line.trim());
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Builds `pkg@version` with `go install` into `cacheDir`; returns the binary path. */
export async function goInstall(options: GoInstallOptions): Promise<string> {
  const { go, pkg, version, cacheDir, env, log, what } = options;
  const built = pkg.split('/').pop()!;
  // Build into a private directory, then rename: two processes building at once never see half a binary.
  const staging = `${cacheDir}.build-${process.pid}-${built}`;
  await fs.mkdir(staging, { recursive: true });
  const started = Date.now();
  // On a timer, not on Go's output: Go goes quiet once the modules are downloaded, for minutes of compiling.
  const progress = setInterval(
    () => log(`  … still building ${what} (${Math.round((Date.now() - started) / 1000)} s)`),
    options.progressIntervalMs ?? 15_000,
  );
  const { code, output } = await runCollecting(
    go,
    ['install', `${pkg}@${version}`],
    { ...env, GOBIN: staging, GOFLAGS: [env.GOFLAGS, '-trimpath'].filter(Boolean).join(' ') },
    () => undefined,
  ).finally(() => clearInterval(progress));
  if (code !== 0) {
    await fs.rm(staging, { recursive: true, force: true });
    throw new Error(`go install ${pkg}@${version} failed (exit ${code}):\n${output.trim()}`);
  }
  await fs.mkdir(cacheDir, { recursive: true });
  const target = path.join(cacheDir, options.binaryName ?? built);
  await fs.rename(path.join(staging, built), target);
  await fs.rm(staging, { recursive: true, force: true });
  log(`Built ${what} ${version} in ${Math.round((Date.now() - started) / 1000)} s → ${target}`);
  return target;
}
