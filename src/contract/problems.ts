/**
 * What the ingest API says when it refuses something (RFC 9457 problem details), shared by the server and
 * the clients that read its answers: the stable codes, and each problem's JSON Pointer.
 */

/** The `code` of a problem document or of one rejected event in a batch. */
export type ProblemCode =
  // the request
  | 'BAD_REQUEST'
  | 'BAD_FILTER'
  | 'MALFORMED_BODY'
  | 'BODY_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'INVALID_BATCH'
  | 'BATCH_TOO_LARGE'
  | 'BATCH_REJECTED'
  | 'MIXED_SOURCES'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'INTERNAL'
  // the source and its authentication
  | 'MISSING_SOURCE'
  | 'UNKNOWN_SOURCE'
  | 'MISSING_API_KEY'
  | 'BAD_API_KEY'
  | 'MISSING_SIGNATURE'
  | 'BAD_SIGNATURE'
  | 'WEBHOOK_REPLAYED'
  | 'STALE_SIGNATURE'
  | 'WEBHOOK_ONLY_SOURCE'
  | 'RATE_LIMITED'
  | 'ADMIN_AUTH_REQUIRED'
  // one event
  | 'INVALID_EVENT'
  | 'EVENT_TOO_LARGE'
  | 'SOURCE_NOT_ALLOWED'
  | 'UNKNOWN_EVENT_TYPE'
  | 'DATA_INVALID'
  | 'NO_CORRELATION_KEY'
  | 'MAPPING_FAILED'
  | 'UNMAPPED_TYPE'
  // the engine behind the API
  | 'ENGINE_UNAVAILABLE'
  | 'ENTITY_NOT_RUNNING'
  | 'ENTITY_NOT_FOUND'
  | 'REDRIVE_FAILED'
  // operator operations (issue 18)
  | 'REPLAY_INVALID'
  | 'CONNECTOR_UNKNOWN'
  | 'RULE_UNKNOWN';

/** One problem with an event: a JSON Pointer into what was sent, and what is wrong there. */
export interface EventProblem {
  /** JSON Pointer (RFC 6901) into the event or request body; `''` for the whole thing. */
  pointer: string;
  detail: string;
  /** For binary-mode CloudEvents: the header that carried the attribute (e.g. `ce-type`). */
  header?: string;
}
