/**
 * Moving an entity to another config version (the workflow's `migrate` update, then continue-as-new).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isGrpcServiceError, ServiceError } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { migrateUpdate } from '../contract/messages.js';

/** The gRPC error detail Temporal attaches to its WorkflowNotReady errors. */
const WORKFLOW_NOT_READY = 'temporal.api.errordetails.v1.WorkflowNotReadyFailure';

/**
 * True when Temporal refused the update with WorkflowNotReady: it aborted the update because the workflow
 * task carrying it failed (for `migrate`, the continue-as-new met an event that arrived during the task — an
 * activity result, a signal), or the entity's workflow task is failing right now. Either way the update was
 * not applied and the entity is unchanged, so asking again is safe. Matched by the error detail's type, not
 * by the server's message.
 */
export function isUpdateAbortedByTaskFailure(err: unknown): boolean {
  const cause = err instanceof ServiceError ? err.cause : undefined;
  return isGrpcServiceError(cause) && grpcDetailTypes(cause).includes(WORKFLOW_NOT_READY);
}

/** The types of the details in a gRPC error's `google.rpc.Status` (`grpc-status-details-bin`). */
function grpcDetailTypes(err: { metadata?: { get(key: string): unknown[] } }): string[] {
  const status = err.metadata?.get('grpc-status-details-bin')[0];
  if (!(status instanceof Uint8Array)) return [];
  return proto.google.rpc.Status.decode(status).details.map((detail) => detail.type_url?.replace(/^.*\//, '') ?? '');
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
