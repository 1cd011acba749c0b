/**
 * `hunt sandbox`, `hunt dead-letters` and `hunt redrive`: run the sandbox partner systems, list
 * connector calls that failed for good, and re-run one of them with its original idempotency key.
 */
import { once } from 'node:events';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { Command } from 'commander';
import { entityAddress, requireEntityAddress } from '../contract/entity-address.js';
import { startSandbox, type RecordedRequest } from '../sandbox/sandbox-server.js';
import { deadLettersQuery, redriveUpdate, type DeadLetter } from '../contract/messages.js';
import { HuntDeadLetters } from '../contract/search-attributes.js';
import { CliError } from './cli-error.js';
import { withTemporalClient } from './temporal-client.js';

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
    .action(async (opts: { port: string; host: string; log?: string; quiet?: boolean }) => {
      await runSandbox({ port: parsePort(opts.port), host: opts.host, log: opts.log, quiet: opts.quiet === true });
    });

  program
    .command('dead-letters')
    .description('list connector calls that failed for good, across entities (or for one)')
    .option('--entity <type/key>', 'only this entity, e.g. team/red')
    .option('--all', 'include dead letters already redriven')
    .option('--json', 'print JSON')
    .action(async (opts: { entity?: string; all?: boolean; json?: boolean }) => {
      await withClient(async (client) => {
        const rows = await listDeadLetters(client, opts.entity);
        const shown = opts.all ? rows : rows.filter((r) => r.letter.redriven === undefined);
        process.stdout.write(opts.json ? `${JSON.stringify(shown, null, 2)}\n` : formatDeadLetters(shown));
      });
    });

  program
    .command('redrive')
    .description("re-run a dead letter's call with its original idempotency key; waits for the outcome")
    .argument('<entity>', 'entity as type/key, e.g. team/red')
    .argument('<deadLetterId>', 'dead letter id, e.g. dl-1 (see hunt dead-letters)')
    .action(async (entity: string, deadLetterId: string) => {
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

async function runSandbox(opts: { port: number; host: string; log?: string; quiet: boolean }): Promise<void> {
  const print = (r: RecordedRequest) =>
    process.stdout.write(
      `${r.time} ${r.system} ${r.method} ${r.path} → ${r.status ?? 'closed'} ${r.outcome}` +
        `${r.idempotencyKey ? ` key=${r.idempotencyKey}` : ''}\n`,
    );
  let sandbox;
  try {
    sandbox = await startSandbox({
      port: opts.port,
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

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new CliError(`--port "${text}" is not a port; give a number from 0 to 65535`);
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
export async function listDeadLetters(client: Client, entity?: string): Promise<DeadLetterRow[]> {
  const ids: string[] = [];
  if (entity !== undefined) {
    ids.push(entityId(entity));
  } else {
    // Running only: earlier runs of an entity (closed by continue-as-new) carry the same letters forward.
    const query = `${HuntDeadLetters.name} > 0 AND ExecutionStatus = "Running"`;
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
export function formatDeadLetters(rows: DeadLetterRow[]): string {
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
