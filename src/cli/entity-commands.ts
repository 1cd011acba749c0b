/**
 * `hunt explain` and `hunt migrate`: why an entity's rules did (or did not) fire, and moving running
 * entities to another config version at a continue-as-new boundary.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { listPauses } from '../operations/pauses.js';
import type { Command } from 'commander';
import { parseEntityWorkflowId } from '../rules/routing.js';
import type { DecisionTrace, Firing } from '../rules/types.js';
import { firingsQuery, stateQuery, tracesQuery, type EntityView } from '../contract/messages.js';
import { migrateEntity } from '../client/migrate-entity.js';
import { reviveEntity, ReviveRefusedError } from '../client/revive-entity.js';
import { TemporalConfigRegistry } from '../worker/config-registry.js';
import { CliError } from './cli-error.js';
import { withTemporalClient } from './temporal-client.js';

export interface Explanation {
  entity: EntityView;
  traces: DecisionTrace[];
  firings: Firing[];
  /** Rules paused in the deployment now (`hunt rules pause`): they do not fire in any entity. */
  pausedRules?: string[];
}

function workflowIdOf(entity: string): string {
  if (!parseEntityWorkflowId(entity))
    throw new CliError(`"${entity}" is not an entity; write it as <type>/<key>, e.g. team/red-foxes`);
  return entity;
}

/** Reads what `hunt explain` prints: the entity, its decision traces (optionally one event's) and its firings. */
export async function explainEntity(client: Client, entity: string, eventId?: string): Promise<Explanation> {
  const handle = client.workflow.getHandle(workflowIdOf(entity));
  try {
    const [view, traces, firings, pauses] = await Promise.all([
      handle.query(stateQuery),
      handle.query(tracesQuery, eventId === undefined ? {} : { eventId }),
      handle.query(firingsQuery),
      listPauses(client),
    ]);
    const pausedRules = pauses.filter((p) => p.kind === 'rule').map((p) => p.name);
    if (eventId !== undefined && traces.length === 0) {
      throw new CliError(
        `${entity} has no decision trace for event "${eventId}" (only the most recent events are kept)`,
      );
    }
    return {
      entity: view,
      traces,
      firings: eventId === undefined ? firings : firings.filter((f) => f.eventId === eventId),
      ...(pausedRules.length > 0 && { pausedRules }),
    };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new CliError(`no entity ${entity} (no workflow with that id)`);
    throw err;
  }
}

const time = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** Plain-words rendering of an explanation. */
export function formatExplanation(explanation: Explanation): string {
  const { entity, traces, firings } = explanation;
  const lines = [
    `${entity.entityType}/${entity.key} — config ${entity.configVersion}, ${entity.eventCount} events` +
      `${entity.ended ? `, ended ${time(entity.ended.at)}${entity.ended.reason ? ` (${entity.ended.reason})` : ''}` : ''}` +
      `${entity.deadLetters > 0 ? `, ${entity.deadLetters} dead letter(s)` : ''}`,
    `state: ${JSON.stringify(entity.state)}`,
    ...(explanation.pausedRules ?? []).map(
      (id) => `rule ${id} is paused: it neither fires nor arms timers until hunt rules resume ${id}`,
    ),
    '',
  ];
  for (const trace of traces) {
    const what = trace.cause === 'timer' ? 'timer' : `event ${trace.eventId} (${trace.eventType})`;
    lines.push(`${time(trace.at)}  ${what}: ${trace.status}${trace.reason ? ` — ${trace.reason}` : ''}`);
    for (const verdict of trace.verdicts) {
      lines.push(`  ${verdict.fired ? 'fired  ' : 'did not'} ${verdict.ruleId} [${verdict.clause}] ${verdict.reason}`);
    }
    for (const firing of firings.filter((f) => f.eventId === trace.eventId && f.at === trace.at)) {
      for (const action of firing.actions.filter((a) => a.onFailure !== true)) {
        const what =
          action.action.kind === 'call'
            ? `call ${action.action.connector}`
            : action.action.kind === 'emit'
              ? `emit ${action.action.type}`
              : action.action.kind;
        lines.push(`    → ${firing.ruleId}[${action.index}] ${what}  (idempotency key ${action.idempotencyKey})`);
      }
    }
  }
  if (traces.length === 0) lines.push('(no decisions recorded yet)');
  return `${lines.join('\n')}\n`;
}

/** Running entities matching a type (or all), via visibility. */
async function runningEntities(client: Client, type?: string): Promise<string[]> {
  const query = ['ExecutionStatus = "Running"', ...(type ? [`HuntEntityType = "${type}"`] : [])].join(' AND ');
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids;
}

/** Refuses a `--to` version the deployment does not hold, before any entity is asked (the workflow refuses it too). */
async function checkVersionExists(client: Client, version: string): Promise<void> {
  const registry = new TemporalConfigRegistry(client);
  if (await registry.read(version)) return;
  const known = (await registry.list()).map((v) => `${v.version}${v.name ? ` (${v.name})` : ''}`);
  throw new CliError(
    `Config version ${version} is not known to this deployment; no entity was migrated. ` +
      (known.length > 0 ? `Known versions: ${known.join(', ')}.` : 'No versions are recorded yet: start a worker.'),
  );
}

/** Registers `explain`, `migrate` and `revive`. */
export function registerEntityCommands(program: Command): void {
  program
    .command('explain')
    .description('why an entity’s rules fired or did not: every recent decision, with the clause that decided')
    .argument('<entity>', 'entity as type/key, e.g. team/red-foxes')
    .option('--event <id>', 'only the decision for this event id')
    .option('--json', 'print JSON')
    .action(async (entity: string, opts: { event?: string; json?: boolean }) => {
      const explanation = await withTemporalClient((client) => explainEntity(client, entity, opts.event));
      process.stdout.write(opts.json ? `${JSON.stringify(explanation, null, 2)}\n` : formatExplanation(explanation));
    });

  program
    .command('migrate')
    .description('move running entities to the worker’s current config version (or --to), at a continue-as-new')
    .argument('[entities...]', 'entities as type/key (default: every running entity, or --type)')
    .option('--type <entityType>', 'every running entity of this type')
    .option('--to <version>', 'config version to move to (default: the worker’s current one)')
    .option('--json', 'print JSON')
    .action(async (entities: string[], opts: { type?: string; to?: string; json?: boolean }) => {
      const results = await withTemporalClient(async (client) => {
        if (opts.to !== undefined) await checkVersionExists(client, opts.to);
        const ids = entities.length > 0 ? entities.map(workflowIdOf) : await runningEntities(client, opts.type);
        const out: Array<{ entity: string; from?: string; to?: string; error?: string }> = [];
        for (const id of ids) {
          try {
            const moved = await migrateEntity(client.workflow.getHandle(id), opts.to);
            out.push({ entity: id, ...moved });
          } catch (err) {
            out.push({ entity: id, error: err instanceof Error ? err.message : String(err) });
          }
        }
        return out;
      });
      if (opts.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      else {
        for (const r of results) {
          process.stdout.write(r.error ? `${r.entity}: failed — ${r.error}\n` : `${r.entity}: ${r.from} → ${r.to}\n`);
        }
        if (results.length === 0) process.stdout.write('no running entities matched\n');
      }
      if (results.some((r) => r.error)) throw new CliError('some entities were not migrated (see above)');
    });

  program
    .command('revive')
    .description('continue entities whose workflow failed or was terminated from their last state (a Temporal reset)')
    .argument('<entities...>', 'entities as type/key')
    .option('--reason <text>', 'recorded with the reset', 'hunt revive')
    .option('--json', 'print JSON')
    .action(async (entities: string[], opts: { reason: string; json?: boolean }) => {
      const results = await withTemporalClient(async (client) => {
        const out: Array<{ entity: string; status?: string; runId?: string; resetEventId?: number; error?: string }> =
          [];
        for (const id of entities.map(workflowIdOf)) {
          try {
            const revived = await reviveEntity(client, id, opts.reason);
            out.push({ entity: id, status: revived.status, runId: revived.runId, resetEventId: revived.resetEventId });
          } catch (err) {
            if (err instanceof WorkflowNotFoundError) out.push({ entity: id, error: 'no workflow with that id' });
            else if (err instanceof ReviveRefusedError) out.push({ entity: id, error: err.message });
            else throw err;
          }
        }
        return out;
      });
      if (opts.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      else {
        for (const r of results) {
          process.stdout.write(
            r.error
              ? `${r.entity}: not revived — ${r.error}\n`
              : `${r.entity}: revived (was ${r.status!.toLowerCase()}), continuing from history event ${r.resetEventId} in run ${r.runId}\n`,
          );
        }
      }
      if (results.some((r) => r.error)) throw new CliError('some entities were not revived (see above)');
    });
}
