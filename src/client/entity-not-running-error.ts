import { EngineUnavailableError } from './engine-unavailable-error.js';

/** How an entity's last run closed, when it did not end through its own `end` action. */
export type ClosedStatus = 'FAILED' | 'TERMINATED' | 'CANCELLED' | 'TIMED_OUT';

/**
 * The entity's workflow failed, was terminated or was cancelled. The event is not accepted (nothing
 * acknowledged) and stays retryable for the sender: starting the entity anew would lose the state its
 * history holds. `hunt revive <entity>` continues it from its last state; then the retried event goes in.
 */
export class EntityNotRunningError extends EngineUnavailableError {
  override readonly name = 'EntityNotRunningError';
  override readonly code = 'ENTITY_NOT_RUNNING';
  constructor(
    readonly workflowId: string,
    readonly status: ClosedStatus,
    retryAfterSeconds = 60,
  ) {
    super(
      `Entity ${workflowId} is not running: its workflow was ${status.toLowerCase().replace('_', ' ')}. ` +
        `The event was not accepted (retry later); an operator continues the entity from its last state with ` +
        `\`hunt revive ${workflowId}\`.`,
      retryAfterSeconds,
    );
  }
}
