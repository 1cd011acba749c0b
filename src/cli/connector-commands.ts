/**
 * `hunt sandbox`, `hunt dead-letters` and `hunt redrive`: run the sandbox partner systems, list
 * connector calls that failed for good, and re-run one of them with its original idempotency key.
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline/promises';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { Command } from 'commander';
import { entityAddress, requireEntityAddress } from '../contract/entity-address.js';
import { startSandbox, type RecordedRequest } from '../sandbox/sandbox-server.js';
import { deadLettersQuery, redriveUpdate, type DeadLetter } from '../contract/messages.js';
import { HuntDeadLetters } from '../contract/search-attributes.js';
import { describeFilterProblems } from '../event-log/event-filters.js';
import { planRedrive, redriveFiltersSchema, startRedrive, waitRedrive } from '../operations/bulk-redrive.js';
import { CliError } from './cli-error.js';
import { cliSettings, withTemporalClient } from './temporal-client.js';

/** The sandbox port `npm start` uses too (HUNT_SANDBOX_PORT's default). */
const DEFAULT_SANDBOX_PORT = 3100;

/** Registers the connector commands on the `hunt` program. */
export function registerConnectorCommands(program: Command): void {
  program
    .command('sandbox')
    .description('run the sandbox partner systems (mailer, payouts, leaderboard) in the foreground')
    .option('--port <port>', 'port to listen on (0 picks a free one)', String(DEFAULT_SANDBOX_PORT))
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--log <file>', 'append every request to this JSONL file')
    .option('--quiet', 'do not print each request')
    .option('--smtp-port <port>', 'port of the mail server, system "smtp" (0 picks a free one)', '0')
    .action(async (opts: { port: string; host: string; log?: string; quiet?: boolean; smtpPort: string }) => {
      await runSandbox({
        port: parsePort(opts.port),
        smtpPort: parsePort(opts.smtpPort, '--smtp-port'),
        host: opts.host,
        log: opts.log,
        quiet: opts.quiet === true,
      });
    });

  program
    .command('dead-letters')
    .description('list connector calls that failed for good, across entities (or for one)')
    .option('--entity <type/key>', 'only this entity, e.g. team/red')
    .option('--all', 'include dead letters already redriven')
    .option('--json', 'print JSON')
    .action(async (opts: { entity?: string; all?: boolean; json?: boolean }) => {
      // Across entities only the engine's own queue (HUNT_TASK_QUEUE): an entity no worker polls would not answer.
      const taskQueue = configuredTaskQueue();
      await withClient(async (client) => {
        const rows = await listDeadLetters(client, opts.entity, taskQueue);
        const shown = opts.all ? rows : rows.filter((r) => r.letter.redriven === undefined);
        process.stdout.write(opts.json ? `${JSON.stringify(shown, null, 2)}\n` : formatDeadLetters(shown));
      });
    });

  program
    .command('redrive')
    .description(
      "re-run a dead letter's call with its original idempotency key (or --all that match the filters); waits for the outcome",
    )
    .argument('[entity]', 'entity as type/key, e.g. team/red')
    .argument('[deadLetterId]', 'dead letter id, e.g. dl-1 (see hunt dead-letters)')
    .option('--all', 'every open dead letter that matches the filters below')
    .option('--connector <name>', 'with --all: only calls of this connector')
    .option('--rule <id>', 'with --all: only actions of this rule')
    .option('--type <entityType>', 'with --all: only entities of this type')
    .option('--since <time>', 'with --all: only dead letters since this time (ISO 8601, or a duration ago: 24h)')
    .option('--failure <text>', 'with --all: only dead letters whose last failure contains this text')
    .option('--yes', 'with --all: do not ask for confirmation')
    .option('--json', 'with --all: print the summary as JSON')
    .action(async (entity: string | undefined, deadLetterId: string | undefined, opts: BulkRedriveFlags) => {
      if (opts.all) {
        if (entity !== undefined)
          throw new CliError('hunt redrive --all takes filters, not an entity and a dead letter');
        await withClient((client) => redriveAll(client, opts));
        return;
      }
      if (entity === undefined || deadLetterId === undefined)
        throw new CliError('hunt redrive needs <entity> <deadLetterId>, or --all with filters');
      const workflowId = entityId(entity);
      await withClient(async (client) => {
        const result = await redrive(client, workflowId, deadLetterId);
        if (!result.ok) {
          throw new CliError(
            `${workflowId} ${deadLetterId}: the call failed again: ${result.error ?? 'unknown error'}`,
          );
        }
        process.stdout.write(`${workflowId} ${deadLetterId}: redriven, the call succeeded\n`);
      });
    });
}

interface BulkRedriveFlags {
  all?: boolean;
  connector?: string;
  rule?: string;
  type?: string;
  since?: string;
  failure?: string;
  yes?: boolean;
  json?: boolean;
}

/** Asks a yes/no question on the terminal. */
export async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/** The deployment's entity task queue (HUNT_TASK_QUEUE): bulk commands touch only its entities. */
const configuredTaskQueue = (): string => cliSettings().HUNT_TASK_QUEUE;

/** `hunt redrive --all`: shows what it will redrive, asks (unless --yes), redrives with progress, sums up. */
async function redriveAll(client: Client, flags: BulkRedriveFlags): Promise<void> {
  const parsed = redriveFiltersSchema.safeParse({
    ...(flags.connector !== undefined && { connector: flags.connector }),
    ...(flags.rule !== undefined && { rule: flags.rule }),
    ...(flags.type !== undefined && { entityType: flags.type }),
    ...(flags.since !== undefined && { since: flags.since }),
    ...(flags.failure !== undefined && { failure: flags.failure }),
  });
  if (!parsed.success) throw new CliError(`bad filter: ${describeFilterProblems(parsed.error)}`);
  const targets = await planRedrive(client, parsed.data, { taskQueue: configuredTaskQueue() });
  const say = (text: string) => process.stderr.write(text);
  if (targets.length === 0) {
    say('No open dead letters match.\n');
    if (flags.json)
      process.stdout.write(`${JSON.stringify({ planned: 0, redriven: 0, failedAgain: 0, results: [] })}\n`);
    return;
  }
  say(formatDeadLetters(targets));
  const entities = new Set(targets.map((t) => t.entity)).size;
  if (!flags.yes) {
    if (!process.stdin.isTTY) throw new CliError('not a terminal: pass --yes to redrive without asking');
    if (!(await confirm(`Redrive ${targets.length} dead letters in ${entities} entities? [y/N] `))) {
      throw new CliError('nothing redriven');
    }
  }
  const taskQueue = configuredTaskQueue();
  const started = await startRedrive(client, taskQueue, parsed.data, targets);
  say(`Operation ${started.operationId} (find it with hunt operations, or HuntOperation = "redrive" in the Web UI)\n`);
  const summary = await waitRedrive(started, targets, (done, outcome) =>
    say(
      `[${done}/${targets.length}] ${outcome.entity} ${outcome.letter.id}: ` +
        `${outcome.ok ? 'redriven' : `failed again — ${outcome.error ?? 'unknown error'}`}\n`,
    ),
  );
  if (flags.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else
    process.stdout.write(
      `${summary.redriven} of ${summary.planned} dead letters redriven` +
        `${summary.failedAgain > 0 ? `, ${summary.failedAgain} failed again (still open)` : ''}\n`,
    );
  if (summary.failedAgain > 0) process.exitCode = 1;
}

async function runSandbox(opts: {
  port: number;
  smtpPort: number;
  host: string;
  log?: string | undefined;
  quiet: boolean;
}): Promise<void> {
  const print = (r: RecordedRequest) =>
    process.stdout.write(
      `${r.time} ${r.system} ${r.method} ${r.path} → ${r.status ?? 'closed'} ${r.outcome}` +
        `${r.idempotencyKey ? ` key=${r.idempotencyKey}` : ''}\n`,
    );
  let sandbox;
  try {
    sandbox = await startSandbox({
      port: opts.port,
      smtpPort: opts.smtpPort,
      host: opts.host,
      ...(opts.log !== undefined && { logFile: opts.log }),
      ...(!opts.quiet && { onRequest: print }),
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'EADDRINUSE' ? `port ${opts.port} is in use; pick another with --port` : String(err);
    throw new CliError(`cannot start the sandbox: ${reason}`);
  }
  const base = `http://${opts.host}:${sandbox.port}`;
  process.stdout.write(
    [
      `Sandbox partner systems listening on ${base}`,
      `  MAILER_URL=${sandbox.url('mailer')}`,
      `  PAYOUTS_URL=${sandbox.url('payouts')}`,
      `  LEADERBOARD_URL=${sandbox.url('leaderboard')}`,
      `  CERTIFICATE_SMTP_URL=${sandbox.smtpUrl ?? '(no mail server)'}  (mails are recorded as system "smtp")`,
      `Recorded requests: GET ${base}/_requests${opts.log ? `, and ${opts.log}` : ''}`,
      `Failures on demand: curl -X POST ${base}/_control -d '{"system":"payouts","behaviour":"fail first 2"}'`,
      '  (fail first N [with status S] [retry-after R] | fail with status S | delay D | down for T | reset)',
      'Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  await sandbox.close();
}

function parsePort(text: string, option = '--port'): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new CliError(`${option} "${text}" is not a port; give a number from 0 to 65535`);
  }
  return port;
}

function entityId(text: string): string {
  return entityAddress(requireEntityAddress(text));
}

/** Connects to Temporal like the engine does (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE), runs `fn`, then closes. */
const withClient = (fn: (client: Client) => Promise<void>): Promise<void> => withTemporalClient(fn);

/** One dead letter with the entity it belongs to. */
export interface DeadLetterRow {
  entity: string;
  letter: DeadLetter;
}

/** Dead letters of one entity, or of every running entity whose HuntDeadLetters is above zero. */
/**
 * The dead letters of one entity, or of every running entity that has some (through the HuntDeadLetters search
 * attribute), optionally only those on `taskQueue`: an entity on a queue no worker polls would not answer.
 */
export async function listDeadLetters(client: Client, entity?: string, taskQueue?: string): Promise<DeadLetterRow[]> {
  const ids: string[] = [];
  if (entity !== undefined) {
    ids.push(entityId(entity));
  } else {
    // Running only: earlier runs of an entity (closed by continue-as-new) carry the same letters forward.
    const onQueue = taskQueue === undefined ? '' : ` AND TaskQueue = "${taskQueue}"`;
    const query = `${HuntDeadLetters.name} > 0 AND ExecutionStatus = "Running"${onQueue}`;
    for await (const execution of client.workflow.list({ query })) ids.push(execution.workflowId);
  }
  const rows: DeadLetterRow[] = [];
  for (const workflowId of ids.sort()) {
    let letters: DeadLetter[];
    try {
      letters = await client.workflow.getHandle(workflowId).query(deadLettersQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new CliError(`no entity workflow "${workflowId}"`);
      throw err;
    }
    for (const letter of letters) rows.push({ entity: workflowId, letter });
  }
  return rows;
}

/** Runs the redrive update on an entity; the update resolves once the call succeeded or failed again. */
export async function redrive(
  client: Client,
  workflowId: string,
  deadLetterId: string,
): Promise<{ ok: boolean; error?: string }> {
  try {
    return await client.workflow.getHandle(workflowId).executeUpdate(redriveUpdate, { args: [{ deadLetterId }] });
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new CliError(`no running entity workflow "${workflowId}"`);
    if (err instanceof WorkflowUpdateFailedError) {
      const reason = err.cause instanceof Error ? err.cause.message : err.message;
      throw new CliError(`${workflowId}: cannot redrive ${deadLetterId}: ${reason}`);
    }
    throw err;
  }
}

/** A plain-text table of dead letters. */
export function formatDeadLetters(rows: readonly DeadLetterRow[]): string {
  if (rows.length === 0) return 'No dead letters.\n';
  const table = rows.map(({ entity, letter }) => [
    entity,
    letter.id,
    letter.redriven === undefined ? 'open' : 'redriven',
    letter.ruleId,
    letter.connector,
    String(letter.attempts),
    new Date(letter.at).toISOString(),
    letter.lastFailure.replace(/\s+/g, ' ').slice(0, 120),
  ]);
  const header = ['ENTITY', 'ID', 'STATUS', 'RULE', 'CONNECTOR', 'ATTEMPTS', 'AT', 'LAST FAILURE'];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[header, ...table].map(line).join('\n')}\n`;
}
