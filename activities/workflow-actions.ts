/**
 * The workflow actions' activities (issue 22): `start` a Temporal workflow, `signal` one, and wait for a started
 * one's outcome.
 *
 * Why an activity that awaits the result (and not a child workflow): a child belongs to one parent run, and the
 * entity continues as new regularly — the child relationship would not survive it. An activity that long-polls the
 * workflow's result while heartbeating is durable the way the engine already is: a worker that dies stops
 * heartbeating and the server retries the wait on another worker, which attaches to the same workflow by id; at
 * continue-as-new the watch is carried and resumed. The outcome itself is recorded by the entity once (by event id).
 */
import { Context } from '@temporalio/activity';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Json, StartWorkflowAction } from '../src/config/compiled.js';
import { entityWorkflowId } from '../src/rules/routing.js';
import type { EntityRef } from '../src/rules/types.js';
import type { WorkflowOutcome } from '../src/rules/workflow-result.js';

export interface StartWorkflowInput {
  entity: EntityRef;
  ruleId: string;
  eventId: string;
  idempotencyKey: string;
  workflowId: string;
  /** Rendered over the event and state. */
  action: StartWorkflowAction;
}

export interface StartedWorkflow {
  workflowId: string;
  runId: string;
  /** True when the workflow was already there (a retried or replayed start): nothing new was started. */
  attached: boolean;
}

export interface WorkflowActionDeps {
  logger: Logger;
  /** The client the engine reaches Temporal with; absent: workflow actions fail, saying so. */
  client?: Client;
  /** How often the wait heartbeats (default 5 s). */
  heartbeatIntervalMs?: number;
}

const REUSE = {
  rejectDuplicate: 'REJECT_DUPLICATE',
  allowDuplicateFailedOnly: 'ALLOW_DUPLICATE_FAILED_ONLY',
  allowDuplicate: 'ALLOW_DUPLICATE',
} as const;

/** Heartbeat interval of the wait; the workflow side sets a heartbeat timeout well above it. */
export const WATCH_HEARTBEAT_INTERVAL_MS = 5_000;

/** Creates the workflow-action activities bound to a client. */
export function createWorkflowActionActivities(deps: WorkflowActionDeps) {
  const client = (): Client => {
    if (!deps.client)
      throw ApplicationFailure.nonRetryable('this worker has no Temporal client for workflow actions', 'NoClient');
    return deps.client;
  };
  return {
    /** Starts the workflow once: an id already running (or closed, under rejectDuplicate) is attached to. */
    async startWorkflow(input: StartWorkflowInput): Promise<StartedWorkflow> {
      const { action, workflowId } = input;
      const from = entityWorkflowId(input.entity);
      const log = deps.logger.child({ workflowId: from, ruleId: input.ruleId, eventId: input.eventId });
      try {
        const handle = await client().workflow.start(action.workflow, {
          taskQueue: action.taskQueue,
          workflowId,
          args: action.args,
          workflowIdReusePolicy: REUSE[action.idReusePolicy],
          // A retried start finds the run it started: attach instead of failing.
          workflowIdConflictPolicy: 'USE_EXISTING',
          // The Web UI shows the memo: which entity, rule and event started this workflow.
          memo: {
            startedBy: { entity: from, ruleId: input.ruleId, eventId: input.eventId, key: input.idempotencyKey },
          },
        });
        log.info({ started: workflowId, runId: handle.firstExecutionRunId }, `started workflow ${action.workflow}`);
        return { workflowId, runId: handle.firstExecutionRunId, attached: false };
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        // Closed, and the reuse policy refuses a new run: the start already happened; attach to the latest run.
        const described = await client().workflow.getHandle(workflowId).describe();
        log.info({ started: workflowId, runId: described.runId }, `workflow ${action.workflow} already started`);
        return { workflowId, runId: described.runId, attached: true };
      }
    },

    /** Signals a running workflow; one that does not exist fails for good (dead letter). */
    async signalWorkflow(input: { workflowId: string; signal: string; args: Json[] }): Promise<{ ok: true }> {
      try {
        await client()
          .workflow.getHandle(input.workflowId)
          .signal(input.signal, ...input.args);
        return { ok: true };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError)
          throw ApplicationFailure.nonRetryable(
            `no running workflow "${input.workflowId}" to signal ${input.signal}`,
            'WorkflowNotFound',
          );
        throw err;
      }
    },

    /** Waits for a started workflow's outcome (following continue-as-new), heartbeating; cancelled with the wait. */
    async awaitWorkflow(input: { workflowId: string; runId?: string }): Promise<WorkflowOutcome> {
      const context = Context.current();
      const heartbeat = setInterval(() => context.heartbeat(), deps.heartbeatIntervalMs ?? WATCH_HEARTBEAT_INTERVAL_MS);
      try {
        const handle = client().workflow.getHandle(input.workflowId, input.runId, { followRuns: true });
        const result = (await Promise.race([handle.result(), context.cancelled])) as Json | undefined;
        return { ok: true, result: result ?? null };
      } catch (err) {
        if (err instanceof WorkflowFailedError) {
          const cause = err.cause;
          return {
            ok: false,
            error: { type: cause?.name ?? 'WorkflowFailed', message: cause?.message ?? err.message },
          };
        }
        if (err instanceof WorkflowNotFoundError)
          return { ok: false, error: { type: 'WorkflowNotFound', message: err.message } };
        throw err;
      } finally {
        clearInterval(heartbeat);
      }
    },
  };
}
