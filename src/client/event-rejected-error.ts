import { EngineError } from '../contract/engine-error.js';
import type { EventProblem } from '../contract/problems.js';

export type { EventProblem } from '../contract/problems.js';

/** The event failed validation (envelope, data schema or routing); it was not delivered. */
export class EventRejectedError extends EngineError {
  override readonly name = 'EventRejectedError';
  readonly code = 'EVENT_REJECTED';
  readonly retryable = false;
  constructor(
    message: string,
    readonly problems: EventProblem[],
  ) {
    super(`${message}: ${problems.map((p) => `${p.pointer || '/'} ${p.detail}`).join('; ')}`);
  }
}
