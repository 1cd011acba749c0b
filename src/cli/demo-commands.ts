/** `hunt demo`: plays the scripted treasure hunt against the running engine (`npm start`) and sums it up. */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Command } from 'commander';
import { DemoError, formatDemoSummary, playDemo } from '../demo/demo-hunt.js';
import { DemoSecretsError, readDemoSecrets } from '../demo/demo-secrets.js';
import { sandboxRemote, type SandboxRemote } from '../demo/sandbox-remote.js';
import { CliError } from './cli-error.js';

interface DemoCliOptions {
  url: string;
  sandboxUrl: string;
  uiUrl: string;
  namespace: string;
  stateDir: string;
  pace: string;
  nudgeTimeout: string;
}

/** Registers `hunt demo` on the program. */
export function registerDemoCommands(program: Command): void {
  const env = process.env;
  program
    .command('demo')
    .description('play a scripted treasure hunt against the running engine (start it with npm start)')
    .option('--url <url>', 'ingest API base URL', 'http://127.0.0.1:3000')
    .option(
      '--sandbox-url <url>',
      'sandbox partner systems base URL',
      `http://127.0.0.1:${env.HUNT_SANDBOX_PORT ?? 3100}`,
    )
    .option(
      '--ui-url <url>',
      'Temporal Web UI base URL',
      env.TEMPORAL_UI_URL ?? `http://localhost:${env.TEMPORAL_DEV_UI_PORT ?? 8233}`,
    )
    .option('--namespace <namespace>', 'Temporal namespace', env.TEMPORAL_NAMESPACE ?? 'default')
    .option('--state-dir <dir>', 'where npm start keeps dev-secrets.json', env.HUNT_STATE_DIR ?? '.hunt')
    .option('--pace <ms>', 'pause between events, to watch the live map', '300')
    .option('--nudge-timeout <seconds>', 'longest wait for the stuck team to be nudged', '180')
    .action(async (options: DemoCliOptions) => {
      await demo(options);
    });
}

async function demo(options: DemoCliOptions): Promise<void> {
  const paceMs = Number(options.pace);
  const nudgeSeconds = Number(options.nudgeTimeout);
  if (!Number.isFinite(paceMs) || paceMs < 0)
    throw new CliError(`--pace ${options.pace}: write milliseconds, e.g. 300`);
  if (!Number.isFinite(nudgeSeconds) || nudgeSeconds < 0)
    throw new CliError(`--nudge-timeout ${options.nudgeTimeout}: write seconds, e.g. 180`);
  try {
    const secrets = await readDemoSecrets(path.resolve(options.stateDir), process.env);
    const sandbox = await reachableSandbox(options.sandboxUrl);
    const summary = await playDemo({
      url: options.url,
      secrets,
      ...(sandbox && { sandbox }),
      webUiUrl: options.uiUrl,
      namespace: options.namespace,
      runId: randomBytes(3).toString('hex'),
      paceMs,
      nudgeTimeoutMs: nudgeSeconds * 1000,
      log: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(formatDemoSummary(summary));
  } catch (err) {
    if (err instanceof DemoError || err instanceof DemoSecretsError) throw new CliError(err.message);
    throw err;
  }
}

async function reachableSandbox(url: string): Promise<SandboxRemote | undefined> {
  const sandbox = sandboxRemote(url);
  try {
    await sandbox.requests();
    return sandbox;
  } catch {
    process.stdout.write(`(no sandbox partners at ${url}: the demo runs without the staged partner failure)\n`);
    return undefined;
  }
}
