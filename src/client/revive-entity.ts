/**
 * Reviving an entity whose workflow failed, was terminated or was cancelled: Temporal's own reset of the
 * closed run to its last completed workflow task. The new run holds the closed run's history up to that
 * point (so the state is the fold of every event handled), and every signal and update the closed run
 * received after it is re-applied once — events acknowledged but not yet handled are not lost, and the
 * entity's dedupe makes none count twice. Actions the last task started run again with their idempotency keys.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import Long from 'long';

const { temporal } = proto;
const EventType = temporal.api.enums.v1.EventType;

/** Why an entity cannot be revived (it is running, ended on its own, or has no point to reset to). */
export class ReviveRefusedError extends Error {
  override readonly name = 'ReviveRefusedError';
  readonly code = 'REVIVE_REFUSED';
}

export interface Revived {
  workflowId: string;
  /** How the closed run ended. */
  status: string;
  closedRunId: string;
  runId: string;
  /** The history event the new run continues from (the closed run's last completed workflow task). */
  resetEventId: number;
}

/** Continues a failed, terminated or cancelled entity from its last state (a Temporal reset). */
export async function reviveEntity(client: Client, workflowId: string, reason = 'hunt revive'): Promise<Revived> {
  const handle = client.workflow.getHandle(workflowId);
  const described = await handle.describe();
  const status = described.status.name;
  if (status === 'RUNNING') throw new ReviveRefusedError(`${workflowId} is running; there is nothing to revive`);
  if (status === 'COMPLETED') {
    throw new ReviveRefusedError(
      `${workflowId} ended through its own \`end\` action; the next event for it starts it anew`,
    );
  }
  const history = await client.workflow.getHandle(workflowId, described.runId).fetchHistory();
  let resetEventId: number | undefined;
  let firstStarted: number | undefined;
  for (const event of history.events ?? []) {
    const id = Number(event.eventId);
    if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) resetEventId = id;
    if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED) firstStarted ??= id;
  }
  resetEventId ??= firstStarted;
  if (resetEventId === undefined) {
    throw new ReviveRefusedError(
      `${workflowId} (${status}) never started a workflow task; there is no state to revive`,
    );
  }
  const { namespace } = client.options;
  const response: proto.temporal.api.workflowservice.v1.IResetWorkflowExecutionResponse =
    await client.workflowService.resetWorkflowExecution({
      namespace,
      workflowExecution: { workflowId, runId: described.runId },
      reason: `${reason} (was ${status.toLowerCase()})`,
      workflowTaskFinishEventId: Long.fromNumber(resetEventId),
      requestId: randomUUID(),
      resetReapplyType: temporal.api.enums.v1.ResetReapplyType.RESET_REAPPLY_TYPE_ALL_ELIGIBLE,
    });
  return { workflowId, status, closedRunId: described.runId, runId: response.runId ?? '', resetEventId };
}
