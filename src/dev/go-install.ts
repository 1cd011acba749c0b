/**
 * `go install <module>@<version>` into a cache directory, with progress for the person waiting (optionally with
 * some dependencies upgraded, built in a throwaway module).
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
  /**
   * Dependencies to build with at a newer version than `pkg@version`'s own go.mod names (module → version), for
   * a fix the release does not carry yet. `go install pkg@version` cannot take them, so the build then runs in a
   * throwaway module that requires both (`go get`), and Go's minimal version selection picks the newer one.
   */
  upgrades?: Record<string, string>;
}

/** Runs a command, keeping the last 8 kB of its output and telling `onLine` about each line. */
export function runCollecting(
  command: string,
  args: string[],
  env: Record<string, string | undefined>,
  onLine: (line: string) => void,
  cwd?: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: env, stdio: ['ignore', 'pipe', 'pipe'], ...(cwd && { cwd }) });
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
  const goEnv = { ...env, GOBIN: staging, GOFLAGS: [env.GOFLAGS, '-trimpath'].filter(Boolean).join(' ') };
  const upgrades = Object.entries(options.upgrades ?? {}).map(([module, at]) => `${module}@${at}`);
  const steps: Array<{ args: string[]; cwd?: string }> = [];
  let moduleDir: string | undefined;
  if (upgrades.length === 0) {
    steps.push({ args: ['install', `${pkg}@${version}`] });
  } else {
    moduleDir = `${staging}-module`;
    await fs.mkdir(moduleDir, { recursive: true });
    await fs.writeFile(path.join(moduleDir, 'go.mod'), 'module treasure-hunt.local/go-build\n\ngo 1.22\n');
    steps.push({ args: ['get', `${pkg}@${version}`, ...upgrades], cwd: moduleDir });
    steps.push({ args: ['install', pkg], cwd: moduleDir });
  }
  try {
    for (const step of steps) {
      const { code, output } = await runCollecting(go, step.args, goEnv, () => undefined, step.cwd);
      if (code !== 0) {
        throw new Error(`go ${step.args.join(' ')} failed (exit ${code}):\n${output.trim()}`);
      }
    }
  } catch (err) {
    await fs.rm(staging, { recursive: true, force: true });
    throw err;
  } finally {
    clearInterval(progress);
    if (moduleDir) await fs.rm(moduleDir, { recursive: true, force: true });
  }
  await fs.mkdir(cacheDir, { recursive: true });
  const target = path.join(cacheDir, options.binaryName ?? built);
  await fs.rename(path.join(staging, built), target);
  await fs.rm(staging, { recursive: true, force: true });
  log(`Built ${what} ${version} in ${Math.round((Date.now() - started) / 1000)} s → ${target}`);
  return target;
}
