/** One problem with an event: a JSON Pointer into what was sent, and what is wrong there. */
export interface EventProblem {
  /** JSON Pointer (RFC 6901) into the event or request body; `''` for the whole thing. */
  pointer: string;
  detail: string;
  /** For binary-mode CloudEvents: the header that carried the attribute (e.g. `ce-type`). */
  header?: string;
}

/** The event failed validation (envelope, data schema or routing); it was not delivered. */
export class EventRejectedError extends Error {
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
