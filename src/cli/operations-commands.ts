/**
 * Operator commands over the running engine (issue 18): `hunt replay` (recorded events through chosen rules of
 * the current configuration), `hunt connectors pause|resume|list`, `hunt rules pause|resume|list`.
 */
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { ConfigError, formatProblems, loadCompiledConfig } from '../config/index.js';
import type { CompiledConfig } from '../config/compiled.js';
import { formatReplayPlan, planReplay, ReplayRequestError, runReplay } from '../operations/replay.js';
import { loadSettings, SettingsError } from '../settings/settings.js';
import { CliError } from './cli-error.js';
import { confirm } from './connector-commands.js';
import { filtersFromFlags, withFilterFlags, type FilterFlags } from './events-commands.js';
import { withTemporalClient } from './temporal-client.js';

/** The engine's settings for a CLI command (config file, task queue), errors for people. */
function settings() {
  try {
    return loadSettings(process.env);
  } catch (err) {
    if (err instanceof SettingsError) throw new CliError(err.message);
    throw err;
  }
}

async function loadConfig(file: string): Promise<CompiledConfig> {
  try {
    return await loadCompiledConfig(file);
  } catch (err) {
    if (err instanceof ConfigError)
      throw new CliError(`${file} is not a valid configuration:\n${formatProblems(err.problems)}`);
    throw err;
  }
}

interface ReplayFlags extends FilterFlags {
  rules?: string;
  config?: string;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
}

/** `hunt replay`: plans, shows, asks (unless --yes or --dry-run), replays with progress, sums up. */
async function replay(client: Client, flags: ReplayFlags): Promise<void> {
  const filters = filtersFromFlags(flags);
  const rules = (flags.rules ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r.length > 0);
  if (rules.length === 0) throw new CliError('hunt replay needs --rules <id,id>: the rules to run the events through');
  const { configPath, HUNT_TASK_QUEUE: taskQueue } = settings();
  const config = await loadConfig(flags.config ?? configPath);
  const say = (text: string) => process.stderr.write(text);
  let plan;
  try {
    plan = await planReplay(client, config, filters, rules);
  } catch (err) {
    if (err instanceof ReplayRequestError) throw new CliError(err.message);
    throw err;
  }
  const todo = plan.firings.filter((f) => f.actions.length > 0 && !f.alreadyReplayed).length;
  if (flags.dryRun) {
    process.stdout.write(flags.json ? `${JSON.stringify(plan, null, 2)}\n` : formatReplayPlan(plan));
    return;
  }
  say(formatReplayPlan(plan));
  if (todo === 0) {
    if (flags.json) process.stdout.write(`${JSON.stringify({ planned: 0, started: 0, alreadyReplayed: 0 })}\n`);
    else process.stdout.write('Nothing to replay.\n');
    return;
  }
  if (!flags.yes) {
    if (!process.stdin.isTTY) throw new CliError('not a terminal: pass --yes to replay without asking');
    if (!(await confirm(`Replay ${todo} firings (their actions call the systems)? [y/N] `)))
      throw new CliError('nothing replayed');
  }
  const total = plan.firings.filter((f) => f.actions.length > 0).length;
  const summary = await runReplay(client, taskQueue, plan, {
    onResult: (done, r) =>
      say(`[${done}/${total}] ${r.workflowId}: ${r.outcome}${r.error !== undefined ? ` — ${r.error}` : ''}\n`),
  });
  if (flags.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else
    process.stdout.write(
      `${summary.started} firings replayed (${summary.performed} actions), ${summary.alreadyReplayed} already replayed` +
        `${summary.failed > 0 ? `, ${summary.failed} failed (run the replay again to retry them)` : ''}\n`,
    );
  if (summary.failed > 0) process.exitCode = 1;
}

/** Registers `hunt replay`. */
export function registerOperationsCommands(program: Command): void {
  withFilterFlags(
    program
      .command('replay')
      .description(
        'run recorded events again through chosen rules of the current configuration (backfill); each firing once',
      ),
  )
    .requiredOption('--rules <ids>', 'comma-separated rule ids to replay')
    .option('--config <file>', 'the configuration to replay with (default: HUNT_CONFIG)')
    .option('--dry-run', 'print what would be called, call nothing')
    .option('--yes', 'do not ask for confirmation')
    .option('--json', 'print the plan (with --dry-run) or the summary as JSON')
    .action(async (flags: ReplayFlags) => {
      await withTemporalClient((client) => replay(client, flags));
    });
}
