/**
 * Moving an entity to another config version (the workflow's `migrate` update, then continue-as-new).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { migrateUpdate } from '../contract/messages.js';

/** gRPC FAILED_PRECONDITION: Temporal's WorkflowNotReady. */
const FAILED_PRECONDITION = 9;

/**
 * True when Temporal aborted an update because the workflow task carrying it failed: for `migrate`, the
 * continue-as-new met an event that arrived during the task (an activity result, a signal). The workflow
 * task is retried without the update, so the entity is unchanged and asking again is safe.
 */
export function isUpdateAbortedByTaskFailure(err: unknown): boolean {
  const cause = (err as { cause?: { code?: number; details?: string } } | undefined)?.cause;
  return cause?.code === FAILED_PRECONDITION && /workflow task failure/i.test(cause.details ?? '');
}

/** Asks the entity to move to `configVersion` (default: the worker's current one); retries an aborted update. */
export async function migrateEntity(
  handle: Pick<WorkflowHandle, 'executeUpdate'>,
  configVersion?: string,
  attempts = 5,
): Promise<{ from: string; to: string }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await handle.executeUpdate(migrateUpdate, {
        args: [configVersion === undefined ? {} : { configVersion }],
      });
    } catch (err) {
      if (attempt >= attempts || !isUpdateAbortedByTaskFailure(err)) throw err;
      await sleep(100 * attempt);
    }
  }
}
