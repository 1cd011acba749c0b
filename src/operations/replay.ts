/**
 * `hunt replay` and `POST /events/replay`: recorded events run again through chosen rules of the *current*
 * configuration — the rule added today that should have fired last week.
 *
 * How: each selected entity's whole event log is exported and simulated with the current configuration
 * (the same EntityMachine the workflow runs, virtual time from the recorded arrival times, timers due before
 * now fired), so state, windows and counts are what that configuration would have built. The firings of the
 * chosen rules whose trigger passes the event filters (type, source, time range) are the plan. Each planned
 * firing becomes one `replayFiringWorkflow` (`hunt.replay/<entity>:<event>:<rule>`) that performs its calls and
 * emits in order with replay-marked idempotency keys (`replay:<key>`). The entity workflows are never touched:
 * nothing is folded into an entity's state twice, and `set`/`end` actions are not applied (they are listed as
 * skipped). A firing's workflow id is started at most once unless it failed, so a second replay calls nothing.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { z } from 'zod';
import type { CompiledConfig } from '../config/compiled.js';
import { emittedEvent } from '../rules/emitted-event.js';
import { parseEntityWorkflowId } from '../rules/routing.js';
import { simulate } from '../rules/simulate.js';
import type { PlannedAction } from '../rules/types.js';
import {
  REPLAY_FIRING_WORKFLOW_TYPE,
  replayFiringWorkflowId,
  replayKey,
  type ReplayAction,
  type ReplayFiringInput,
  type ReplayFiringResult,
} from '../contract/operations.js';
import {
  HuntEntityKey,
  HuntEntityType,
  HuntOperation,
  HuntRulesFired,
  HuntTarget,
} from '../contract/search-attributes.js';
import { backtestEvents } from '../event-log/backtest-events.js';
import { eventFiltersSchema, type EventFilters } from '../event-log/event-filters.js';
import type { ExportProgress } from '../event-log/event-export.js';
import { EngineError } from '../contract/engine-error.js';

/** A replay request that cannot run (unknown rule, no rules). */
export class ReplayRequestError extends EngineError {
  override readonly name = 'ReplayRequestError';
  readonly code = 'REPLAY_INVALID';
}

/** The body of `POST /events/replay`: the export's filters plus the rules and a dry-run flag. */
export const replayRequestSchema = eventFiltersSchema.extend({
  rules: z.array(z.string().min(1).max(200)).min(1, 'name at least one rule to replay').max(100),
  dryRun: z.boolean().optional(),
});

/** One firing the replay will perform. */
export interface ReplayFiring {
  workflowId: string;
  entity: string;
  ruleId: string;
  eventId: string;
  eventType: string;
  /** Engine time it fires in the replay (ms). */
  at: number;
  cause: 'event' | 'timer' | 'emitted';
  actions: ReplayAction[];
  /** `set` / `end` actions of the firing: never applied by a replay. */
  skipped: string[];
  /** Whether this firing was replayed before (its workflow exists and did not fail). */
  alreadyReplayed: boolean;
}

export interface ReplayPlan {
  configVersion: string;
  rules: string[];
  /** Events read from the engine and simulated. */
  events: number;
  firings: ReplayFiring[];
}

export interface ReplaySummary {
  replayId: string;
  planned: number;
  started: number;
  /** Firings replayed before (skipped: each system was called once). */
  alreadyReplayed: number;
  /** Firings whose replay failed (a call that failed for good); run the replay again to retry them. */
  failed: number;
  /** Calls and emits performed. */
  performed: number;
  results: Array<{ workflowId: string; outcome: 'performed' | 'already-replayed' | 'failed'; error?: string }>;
}

/** The firing part of an idempotency key: `<entity>:<eventId>:<ruleId>[@deadline]` (no action index). */
export function firingKey(planned: PlannedAction): string {
  const match = /^(.*):f?\d+(@\d+)?$/.exec(planned.idempotencyKey);
  if (!match) return planned.idempotencyKey;
  return `${match[1]}${match[2] ?? ''}`;
}

function checkRules(config: CompiledConfig, rules: readonly string[]): void {
  if (rules.length === 0) throw new ReplayRequestError('name the rules to replay (--rules a,b)');
  const known = new Set(config.rules.map((r) => r.id));
  const unknown = rules.filter((r) => !known.has(r));
  if (unknown.length > 0) {
    throw new ReplayRequestError(
      `no rule ${unknown.map((r) => `"${r}"`).join(', ')} in configuration ${config.name} (${config.version}); ` +
        `its rules: ${[...known].join(', ')}`,
    );
  }
}

/** Whether a firing's trigger passes the event-level filters. */
function passes(filters: EventFilters, at: number, eventType: string, source: string | undefined): boolean {
  if (filters.eventType !== undefined && eventType !== filters.eventType) return false;
  if (filters.source !== undefined && source !== filters.source) return false;
  if (filters.since !== undefined && at < filters.since) return false;
  if (filters.until !== undefined && at > filters.until) return false;
  return true;
}

/** Whether the firing's replay workflow ran before and did not fail (it would be refused a new start). */
async function replayedBefore(client: Client, workflowId: string): Promise<boolean> {
  try {
    const { status } = await client.workflow.getHandle(workflowId).describe();
    return !['FAILED', 'TERMINATED', 'CANCELLED', 'TIMED_OUT'].includes(status.name);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** Reads the selected entities' logs, simulates them with `config`, and lists the chosen rules' firings. */
export async function planReplay(
  client: Client,
  config: CompiledConfig,
  filters: EventFilters,
  rules: readonly string[],
  opts: { now?: number; onProgress?: (progress: ExportProgress) => void } = {},
): Promise<ReplayPlan> {
  checkRules(config, rules);
  const chosen = new Set(rules);
  const now = opts.now ?? Date.now();
  // The whole log of each entity: the state a firing sees depends on every event before it.
  const entityFilters: EventFilters = {
    ...(filters.entityType !== undefined && { entityType: filters.entityType }),
    ...(filters.entity !== undefined && { entity: filters.entity }),
  };
  const { events } = await backtestEvents(client, entityFilters, [config], opts.onProgress);
  const sources = new Map(events.map((e) => [e.id, e.source]));
  // Timers not yet due stay unfired: the live entity arms (or not) its own from now on.
  const result = simulate(config, events, { horizon: now });
  const firings: ReplayFiring[] = [];
  for (const step of result.steps) {
    if (step.entity === undefined || !step.fired.some((r) => chosen.has(r))) continue;
    // Emitted and timer steps have no source of their own: the trigger's time and type decide.
    if (!passes(filters, step.at, step.eventType, step.kind === 'event' ? sources.get(step.eventId) : undefined))
      continue;
    const byFiring = new Map<string, PlannedAction[]>();
    for (const planned of step.actions) {
      // onFailure actions run only when a call fails for good: a replay does not plan them.
      if (!chosen.has(planned.ruleId) || planned.onFailure === true) continue;
      const key = firingKey(planned);
      byFiring.set(key, [...(byFiring.get(key) ?? []), planned]);
    }
    for (const [key, planned] of byFiring) {
      const actions: ReplayAction[] = [];
      const skipped: string[] = [];
      for (const p of planned) {
        const idempotencyKey = replayKey(p.idempotencyKey);
        const { action } = p;
        if (action.kind === 'call') {
          const connector = config.connectors[action.connector];
          if (!connector) throw new ReplayRequestError(`rule ${p.ruleId} calls unknown connector ${action.connector}`);
          actions.push({ kind: 'call', idempotencyKey, connector, action });
        } else if (action.kind === 'emit') {
          const event = emittedEvent(config, { ...p, idempotencyKey }, step.at);
          if (event) actions.push({ kind: 'emit', idempotencyKey, event });
        } else {
          skipped.push(action.kind);
        }
      }
      const workflowId = replayFiringWorkflowId(key);
      firings.push({
        workflowId,
        entity: step.entity,
        ruleId: planned[0]!.ruleId,
        eventId: planned[0]!.eventId,
        eventType: step.eventType,
        at: step.at,
        cause: step.kind === 'timer' ? 'timer' : step.kind === 'emitted' ? 'emitted' : 'event',
        actions,
        skipped,
        alreadyReplayed: actions.length > 0 && (await replayedBefore(client, workflowId)),
      });
    }
  }
  return { configVersion: config.version, rules: [...rules], events: events.length, firings };
}

/**
 * Starts one replay workflow per planned firing (at most `concurrency` at once) and waits for each. A firing
 * replayed before is refused by Temporal (same workflow id) and counted as already replayed.
 */
export async function runReplay(
  client: Client,
  taskQueue: string,
  plan: ReplayPlan,
  opts: { onResult?: (done: number, result: ReplaySummary['results'][number]) => void; concurrency?: number } = {},
): Promise<ReplaySummary> {
  const replayId = randomUUID();
  const summary: ReplaySummary = {
    replayId,
    planned: 0,
    started: 0,
    alreadyReplayed: 0,
    failed: 0,
    performed: 0,
    results: [],
  };
  const todo = plan.firings.filter((f) => f.actions.length > 0);
  summary.planned = todo.length;
  const one = async (firing: ReplayFiring): Promise<void> => {
    const entity = parseEntityWorkflowId(firing.entity)!;
    const input: ReplayFiringInput = {
      replayId,
      entity,
      ruleId: firing.ruleId,
      eventId: firing.eventId,
      firedAt: firing.at,
      configVersion: plan.configVersion,
      actions: firing.actions,
    };
    let result: ReplaySummary['results'][number];
    try {
      const handle = await client.workflow.start(REPLAY_FIRING_WORKFLOW_TYPE, {
        workflowId: firing.workflowId,
        taskQueue,
        args: [input],
        // A failed replay may be tried again; a completed (or running) one is never started twice.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        typedSearchAttributes: [
          { key: HuntOperation, value: 'replay' },
          { key: HuntTarget, value: firing.ruleId },
          { key: HuntEntityType, value: entity.type },
          { key: HuntEntityKey, value: entity.key },
          { key: HuntRulesFired, value: [firing.ruleId] },
        ],
        memo: { replayId, entity: firing.entity, ruleId: firing.ruleId, eventId: firing.eventId, at: firing.at },
      });
      summary.started++;
      try {
        const done = (await handle.result()) as ReplayFiringResult;
        summary.performed += done.performed;
        result = { workflowId: firing.workflowId, outcome: 'performed' };
      } catch (err) {
        summary.failed++;
        const cause = (err as { cause?: unknown }).cause;
        const error = cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err);
        result = { workflowId: firing.workflowId, outcome: 'failed', error };
      }
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      summary.alreadyReplayed++;
      result = { workflowId: firing.workflowId, outcome: 'already-replayed' };
    }
    summary.results.push(result);
    opts.onResult?.(summary.results.length, result);
  };
  // A few at a time: each firing's actions run in order, different firings concurrently (as in the engine).
  const queue = [...todo];
  const workers = Array.from({ length: Math.min(opts.concurrency ?? 8, queue.length) }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await one(next);
  });
  await Promise.all(workers);
  return summary;
}

/** The plan in words: one line per firing, then what the replay would do. */
export function formatReplayPlan(plan: ReplayPlan): string {
  const lines: string[] = [];
  for (const f of plan.firings) {
    const calls = f.actions
      .map((a) => (a.kind === 'call' ? `call ${a.connector.name}` : `emit ${a.event.type}`))
      .join(', ');
    const skipped = f.skipped.length > 0 ? ` (not applied: ${f.skipped.join(', ')})` : '';
    const state = f.alreadyReplayed ? ' [already replayed: skipped]' : '';
    lines.push(
      `${f.entity}  ${f.ruleId}  on ${f.eventType} ${f.eventId} at ${new Date(f.at).toISOString()}` +
        `${f.cause === 'timer' ? ' (timer)' : ''} → ${calls || 'nothing to call'}${skipped}${state}`,
    );
  }
  const todo = plan.firings.filter((f) => f.actions.length > 0 && !f.alreadyReplayed);
  const entities = new Set(todo.map((f) => f.entity)).size;
  const actions = todo.reduce((n, f) => n + f.actions.length, 0);
  lines.push(
    `${plan.firings.length} firings of ${plan.rules.join(', ')} over ${plan.events} events; ` +
      `${todo.length} to replay (${actions} actions in ${entities} entities), ` +
      `${plan.firings.filter((f) => f.alreadyReplayed).length} already replayed`,
  );
  return `${lines.join('\n')}\n`;
}
