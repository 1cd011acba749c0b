/**
 * A started workflow's outcome as an event of the entity that started it (issue 22): the `start` action's
 * `result.completed` (data: `result`, the workflow's return value) or `result.failed` (data: `error`, and
 * `timedOut: true` when the action's `timeout` passed first). The id is the start action's idempotency key plus
 * `:completed` / `:failed`, so the outcome is recorded once however often the watch is resumed. The same builders
 * run in the workflow and in the simulator.
 */
import type { Json, StartWorkflowAction } from '../config/compiled.js';
import type { EngineEvent, PlannedAction } from './types.js';

/** A started workflow the entity waits for: carried across continue-as-new until its outcome is recorded. */
export interface WorkflowWatch {
  /** The start action's idempotency key. */
  key: string;
  ruleId: string;
  eventId: string;
  workflow: string;
  workflowId: string;
  runId?: string;
  result: NonNullable<StartWorkflowAction['result']>;
  /** Engine time after which the wait gives up (`timeout`); absent: no limit. */
  deadline?: number;
}

/** How a watched workflow ended. */
export type WorkflowOutcome =
  { ok: true; result: Json } | { ok: false; error: { type: string; message: string }; timedOut?: boolean };

/** The workflow id a `start` action uses: the one it names, else its idempotency key (so a retry starts it once). */
export function startedWorkflowId(planned: PlannedAction): string {
  const action = planned.action;
  if (action.kind === 'start' && typeof action.id === 'string' && action.id.trim() !== '') return action.id;
  return planned.idempotencyKey;
}

/** The watch of a started workflow, or undefined when the action does not ask for its outcome. */
export function watchOf(planned: PlannedAction, runId: string | undefined, now: number): WorkflowWatch | undefined {
  const action = planned.action;
  if (action.kind !== 'start' || action.result === undefined) return undefined;
  return {
    key: planned.idempotencyKey,
    ruleId: planned.ruleId,
    eventId: planned.eventId,
    workflow: action.workflow,
    workflowId: startedWorkflowId(planned),
    ...(runId !== undefined && { runId }),
    result: action.result,
    ...(action.timeoutMs !== undefined && { deadline: now + action.timeoutMs }),
  };
}

/** The event recording a watched workflow's outcome, or undefined when the action records none for it. */
export function workflowOutcomeEvent(
  watch: WorkflowWatch,
  outcome: WorkflowOutcome,
  at: number,
): EngineEvent | undefined {
  const type = outcome.ok ? watch.result.completed : watch.result.failed;
  if (type === undefined) return undefined;
  const base = {
    workflow: watch.workflow,
    workflowId: watch.workflowId,
    ...(watch.runId !== undefined && { runId: watch.runId }),
    ruleId: watch.ruleId,
    eventId: watch.eventId,
  };
  return {
    id: `${watch.key}:${outcome.ok ? 'completed' : 'failed'}`,
    source: `workflow:${watch.workflow}`,
    type,
    specversion: '1.0',
    time: new Date(at).toISOString(),
    data: outcome.ok
      ? { ...base, ok: true, result: outcome.result }
      : { ...base, ok: false, error: outcome.error, timedOut: outcome.timedOut === true },
  };
}
