/**
 * Operator commands over the running engine (issue 18): `hunt replay` (recorded events through chosen rules of
 * the current configuration), `hunt connectors pause|resume|list`, `hunt rules pause|resume|list`, and
 * `hunt operations` (the recent replays, redrives and pauses, from visibility).
 */
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import type { PauseKind } from '../contract/operations.js';
import {
  checkPauseTarget,
  listPauses,
  pause,
  resume,
  UnknownPauseTargetError,
  waitingCalls,
} from '../operations/pauses.js';
import { formatReplayPlan, planReplay, ReplayRequestError, runReplay } from '../operations/replay.js';
import {
  formatOperations,
  listOperations,
  OPERATION_KINDS,
  operationsQuery,
  type OperationKind,
} from '../operations/operations-list.js';
import { CliError } from './cli-error.js';
import { confirm } from './connector-commands.js';
import { filtersFromFlags, withFilterFlags, type FilterFlags } from './events-commands.js';
import { cliSettings, withTemporalClient } from './temporal-client.js';
import { loadConfig } from './cli-config.js';

const settings = cliSettings;

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

/** `hunt <connectors|rules> pause|resume|list`. */
function registerPauseCommands(program: Command, kind: PauseKind): void {
  const plural = kind === 'connector' ? 'connectors' : 'rules';
  const group = program
    .command(plural)
    .description(
      kind === 'connector'
        ? 'pause and resume connectors: calls to a paused connector wait durably and go out, in order, on resume'
        : 'pause and resume rules: a paused rule does not fire (explain says so) until it is resumed',
    );
  const target = async (name: string, configFile: string | undefined) => {
    const config = await loadConfig(configFile ?? settings().configPath);
    try {
      checkPauseTarget(config, kind, name);
    } catch (err) {
      if (err instanceof UnknownPauseTargetError) throw new CliError(err.message);
      throw err;
    }
  };
  group
    .command(`pause <${kind}>`)
    .description(kind === 'connector' ? 'hold every call to it from now on' : 'stop it firing from now on')
    .option('--reason <text>', 'why (kept in the pause record, shown by list)')
    .option('--config <file>', 'the configuration that names it (default: HUNT_CONFIG)')
    .action(async (name: string, opts: { reason?: string; config?: string }) => {
      await target(name, opts.config);
      const taskQueue = settings().HUNT_TASK_QUEUE;
      await withTemporalClient(async (client) => {
        const { already } = await pause(client, taskQueue, kind, name, {
          ...(opts.reason !== undefined && { reason: opts.reason }),
        });
        process.stdout.write(
          already
            ? `${kind} ${name} was already paused\n`
            : kind === 'connector'
              ? `connector ${name} paused: its calls wait in their entities until hunt connectors resume ${name}\n`
              : `rule ${name} paused: it does not fire until hunt rules resume ${name}\n`,
        );
      });
    });
  group
    .command(`resume <${kind}>`)
    .description(kind === 'connector' ? 'let the waiting calls go out, in order' : 'let it fire again')
    .action(async (name: string) => {
      await withTemporalClient(async (client) => {
        const { wasPaused, signalled } = await resume(client, kind, name);
        if (!wasPaused) {
          process.stdout.write(`${kind} ${name} was not paused\n`);
          return;
        }
        process.stdout.write(
          `${kind} ${name} resumed${kind === 'connector' ? `; ${signalled} waiting entities told to go on` : ''}\n`,
        );
      });
    });
  group
    .command('list')
    .description(`the ${plural} paused now${kind === 'connector' ? ', with the calls waiting on each' : ''}`)
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await withTemporalClient(async (client) => {
        const pauses = (await listPauses(client)).filter((p) => p.kind === kind);
        const rows = await Promise.all(
          pauses.map(async (p) => {
            if (kind !== 'connector') return { ...p };
            const waiting = await waitingCalls(client, p.name);
            return { ...p, waitingEntities: Object.keys(waiting).length, waitingCalls: waiting };
          }),
        );
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        if (rows.length === 0) process.stdout.write(`No ${plural} paused.\n`);
        for (const row of rows) {
          const calls =
            'waitingCalls' in row
              ? ` · ${Object.values(row.waitingCalls).reduce((a, b) => a + b, 0)} calls waiting in ${row.waitingEntities} entities`
              : '';
          process.stdout.write(
            `${row.name}  paused since ${row.pausedAt}${row.reason !== undefined ? ` (${row.reason})` : ''}${calls}\n`,
          );
        }
      });
    });
}

/** Registers `hunt replay`, `hunt connectors …` and `hunt rules …`. */
export function registerOperationsCommands(program: Command): void {
  registerPauseCommands(program, 'connector');
  registerPauseCommands(program, 'rule');
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
  program
    .command('operations')
    .description('list recent operations (replays, bulk redrives, pauses) recorded in Temporal, newest first')
    .option('--kind <kind>', `only this kind: ${OPERATION_KINDS.join(', ')}`)
    .option('--running', 'only running ones (pauses in effect, redrives and replays under way)')
    .option('--task-queue <name>', "only those run on this task queue (one deployment's)")
    .option('--limit <n>', 'at most this many', '20')
    .option('--json', 'print JSON')
    .action(async (flags: { kind?: string; running?: boolean; taskQueue?: string; limit: string; json?: boolean }) => {
      if (flags.kind !== undefined && !OPERATION_KINDS.includes(flags.kind as OperationKind))
        throw new CliError(`--kind ${flags.kind}: expected one of ${OPERATION_KINDS.join(', ')}`);
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new CliError(`--limit ${flags.limit}: expected a whole number ≥ 1`);
      const options = {
        limit,
        ...(flags.kind !== undefined && { kind: flags.kind as OperationKind }),
        ...(flags.running === true && { running: true }),
        ...(flags.taskQueue !== undefined && { taskQueue: flags.taskQueue }),
      };
      await withTemporalClient(async (client) => {
        const records = await listOperations(client, options);
        if (flags.json) process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
        else {
          process.stdout.write(formatOperations(records));
          process.stderr.write(`In the Web UI, search: ${operationsQuery(options)}\n`);
        }
      });
    });
}
