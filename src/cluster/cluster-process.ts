/**
 * One process of the cluster (PostgreSQL, the Temporal server, a worker, …): started in its own process
 * group so Ctrl-C reaches only `npm run cluster`, which then stops the parts in order; output appended to
 * a log file; stopped, killed, paused and resumed as a whole group (PostgreSQL's backends and nginx's
 * workers are children of the process we start).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface ClusterProcessSpec {
  /** Short name for logs and the banner: `postgres`, `worker-1`, … */
  name: string;
  command: string;
  args: string[];
  env: Record<string, string | undefined>;
  cwd?: string;
  /** Run as this user (PostgreSQL refuses to run as root). */
  uid?: number;
  gid?: number;
  logFile: string;
  /** The signal that asks for a clean stop (PostgreSQL: SIGINT, its fast shutdown). */
  stopSignal?: NodeJS.Signals;
}

/** Every process group started and not yet seen to exit: killed synchronously if we exit without stopping them. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

/** A started process of the cluster; `start()` again after it stopped restarts it with the same spec. */
export class ClusterProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private tail = '';
  private readonly listeners = new Set<(text: string) => void>();

  constructor(readonly spec: ClusterProcessSpec) {}

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The exit code or signal of the last run, once it ended. */
  get exitStatus(): string | undefined {
    if (!this.child || this.running) return undefined;
    return String(this.child.exitCode ?? this.child.signalCode);
  }

  /** The last 20 kB of output of the current (or last) run. */
  output(): string {
    return this.tail;
  }

  /** Calls `listener` with each chunk of output from now on; returns a function that stops it. */
  onOutput(listener: (text: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts the process (a no-op while it runs). */
  start(): void {
    if (this.running) return;
    const { spec } = this;
    fs.mkdirSync(path.dirname(spec.logFile), { recursive: true });
    const log = fs.openSync(spec.logFile, 'a');
    fs.writeSync(log, `\n--- ${new Date().toISOString()} starting ${spec.command} ${spec.args.join(' ')}\n`);
    // Readiness checks read the output: a restart starts from a clean slate (the log file keeps everything).
    this.tail = '';
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(spec.uid !== undefined && { uid: spec.uid }),
      ...(spec.gid !== undefined && { gid: spec.gid }),
    });
    this.child = child;
    live.add(child);
    const keep = (chunk: Buffer) => {
      fs.writeSync(log, chunk);
      const text = chunk.toString();
      this.tail = (this.tail + text).slice(-20_000);
      for (const listener of this.listeners) listener(text);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        this.tail += `\n${spec.name} could not start: ${err.message}`;
      });
      child.once('close', () => {
        live.delete(child);
        fs.closeSync(log);
        resolve();
      });
    });
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (!pid) return;
    try {
      process.kill(-pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }

  /** Asks for a clean stop and waits; SIGKILLs the group after `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    if (!this.child) return;
    if (this.running) {
      this.signalGroup('SIGCONT');
      this.signalGroup(this.spec.stopSignal ?? 'SIGTERM');
    }
    const timer = setTimeout(() => this.signalGroup('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    // Children that outlived their parent (none should) go with the group.
    this.signalGroup('SIGKILL');
  }

  /** SIGKILL to the whole group, as a crashed machine would end it; waits until it is gone. */
  async kill(): Promise<void> {
    this.signalGroup('SIGKILL');
    await this.exited;
  }

  /** SIGSTOP to the whole group: it holds its sockets and answers nothing until `resume()`. */
  pause(): void {
    this.signalGroup('SIGSTOP');
  }

  resume(): void {
    this.signalGroup('SIGCONT');
  }

  /** Resolves when the process ended (at once if it is not running). */
  whenExited(): Promise<void> {
    return this.exited;
  }
}
