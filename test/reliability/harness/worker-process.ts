/**
 * An engine worker as its own OS process (`node --import tsx src/main.ts` with HUNT_ROLE=worker), so a
 * test can SIGKILL it mid-burst exactly as a crashed container would die.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface WorkerProcessOptions {
  temporalAddress: string;
  taskQueue: string;
  /** Absolute path of the configuration file. */
  configPath: string;
  stateDir: string;
  /** Extra environment (connector URLs). */
  env?: Record<string, string>;
  /** A name for error messages. */
  label?: string;
}

export interface WorkerProcess {
  child: ChildProcess;
  label: string;
  /** Resolves once the worker logged that it runs; rejects if the process exits first or after the timeout. */
  ready(timeoutMs?: number): Promise<void>;
  /** Kills the process with SIGKILL (no drain, no goodbye) and waits for it to be gone. */
  kill(): Promise<void>;
  /** Asks for a graceful stop (SIGTERM) and waits; SIGKILL after the grace period. */
  stop(graceMs?: number): Promise<void>;
  output(): string;
}

/** Starts an engine worker process against an existing Temporal server. */
export function startWorkerProcess(options: WorkerProcessOptions): WorkerProcess {
  const label = options.label ?? `worker(${options.taskQueue})`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      HUNT_ROLE: 'worker',
      HUNT_SANDBOX: 'false',
      TEMPORAL_ADDRESS: options.temporalAddress,
      HUNT_TASK_QUEUE: options.taskQueue,
      HUNT_CONFIG: options.configPath,
      HUNT_STATE_DIR: options.stateDir,
      LOG_FORMAT: 'json',
      // Info, so a failure report shows why the worker stopped (kept in memory, printed only on failure).
      LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let started = false;
  const keep = (chunk: Buffer) => {
    const text = chunk.toString();
    // The startup banner is written to stdout once the worker runs (see src/startup-banner.ts).
    if (!started && /Treasure Hunt Engine is running/.test(text)) started = true;
    output = (output + text).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

  return {
    child,
    label,
    output: () => output,
    ready: async (timeoutMs = 120_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!started) {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`${label} exited before it was ready (${child.exitCode ?? child.signalCode}):\n${output}`);
        }
        if (Date.now() > deadline) throw new Error(`${label} was not ready within ${timeoutMs} ms:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: async (graceMs = 20_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };
}
