/**
 * No input fails an entity. In the TypeScript SDK a TemporalFailure (an activity's failure, an
 * ApplicationFailure) that escapes the workflow function, a signal handler or a background promise fails
 * the workflow; any other error fails only the workflow task, which Temporal retries with backoff while the
 * entity waits with its history intact. Everything that escapes the entity workflow goes through
 * `asTaskFailure`, so a bug, a missing config version or a corrupted carried state makes the entity wait
 * for a fix instead of closing it. Continue-as-new passes, and so does a cancellation an operator asked for.
 */
import { ContinueAsNew, isCancellation, log, TemporalFailure, workflowInfo } from '@temporalio/workflow';

/** An error the entity workflow cannot go on from: its workflow task fails and is retried. */
export class EntityTaskError extends Error {
  override readonly name = 'EntityTaskError';
  readonly code = 'ENTITY_TASK_FAILED';
}

/** The error to throw instead of `err`: a task failure for anything but continue-as-new or a requested cancel. */
export function asTaskFailure(err: unknown): unknown {
  if (err instanceof ContinueAsNew) return err;
  // The engine never cancels its own scopes or activities: a cancellation here is an operator's request.
  if (isCancellation(err)) return err;
  const { workflowId } = workflowInfo();
  const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  log.error('entity workflow task failed; Temporal retries it and the entity waits, nothing lost', {
    workflowId,
    error: why,
  });
  if (err instanceof TemporalFailure) return new EntityTaskError(`${workflowId}: ${why}`, { cause: err });
  return err;
}

/** Runs a synchronous handler; what it throws fails the workflow task, never the workflow. */
export function guarded<A extends unknown[]>(handler: (...args: A) => void): (...args: A) => void {
  return (...args: A) => {
    try {
      handler(...args);
    } catch (err) {
      throw asTaskFailure(err);
    }
  };
}
