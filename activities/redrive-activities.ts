/**
 * The activity of a bulk redrive (workflows/redrive-workflow.ts): re-runs one dead letter through its entity's
 * `redrive` update, with the worker's own Temporal client. The update id is the redrive's workflow id and the
 * dead letter's, so an activity retried after a lost answer gets the first update's outcome instead of a second
 * redrive.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { redriveUpdate } from '../src/contract/messages.js';

/** How often the activity tells the server it is alive while the update waits for the connector call. */
const HEARTBEAT_MS = 5_000;

/** Creates the redrive activity (its client comes from the activity context). */
export function createRedriveActivities() {
  return {
    /** Re-runs one dead letter; a refusal (already redriven, entity gone) or a failure again is an outcome. */
    async redriveDeadLetter(input: { entity: string; deadLetterId: string }): Promise<{ ok: boolean; error?: string }> {
      const context = Context.current();
      const updateId = `${context.info.workflowExecution?.workflowId ?? context.info.activityId}:${input.deadLetterId}`;
      const beat = setInterval(() => context.heartbeat(), HEARTBEAT_MS);
      try {
        return await context.client.workflow
          .getHandle(input.entity)
          .executeUpdate(redriveUpdate, { args: [{ deadLetterId: input.deadLetterId }], updateId });
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return { ok: false, error: err.message };
        if (err instanceof WorkflowUpdateFailedError) return { ok: false, error: err.cause?.message ?? err.message };
        throw err;
      } finally {
        clearInterval(beat);
      }
    },
  };
}
