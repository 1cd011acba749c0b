/**
 * How a connector call's outcome becomes a Temporal failure: which statuses and errors are worth
 * retrying, how `Retry-After` steers the next attempt, and the stable failure types and details the
 * workflow reads to build a dead letter.
 */
import { ApplicationFailure } from '@temporalio/common';
import { isRetryableStatus } from './retry-classification.js';

export {
  DEFAULT_SUCCESS_STATUSES,
  isRetryableStatus,
  isSuccessStatus,
  parseRetryAfter,
} from './retry-classification.js';

/** Stable failure `type` values of connector calls (usable in a connector's `nonRetryableErrorTypes`). */
export const HttpFailureType = {
  /** The system answered with a status that is not a success for this connector. */
  status: 'HttpStatusError',
  /** No answer within the connector's `timeoutMs`. */
  timeout: 'HttpTimeout',
  /** Connection refused, reset, DNS failure, TLS failure… */
  network: 'HttpNetworkError',
  /** The request could not be built: missing env variable, bad template, invalid URL. Never retried. */
  config: 'ConnectorConfigError',
} as const;

/** Stable failure `type` values of TypeScript connector calls (`defineConnector`) beside the shared `config`. */
export const ModuleFailureType = {
  /** `run` threw an error that did not classify itself: retried, as a network error is. */
  error: 'ConnectorError',
  /** `run` did not settle within the connector's `timeoutMs`. */
  timeout: 'ConnectorTimeout',
  /** The call's body does not match the connector's zod `input`. Never retried. */
  inputInvalid: 'ConnectorInputInvalid',
} as const;

/** Details attached to every connector failure: `[details]`. */
export interface HttpFailureDetails {
  status?: number;
  attempt: number;
  /** Response body, truncated and scrubbed of secrets. */
  body?: string;
}

/**
 * The one place a connector failure becomes a Temporal failure: retryable or not, and when retryable, an
 * optional delay that replaces the retry policy's backoff for the next attempt (`Retry-After`). HTTP statuses and
 * a TypeScript connector's own `retryable` / `nonRetryable` / `retryAfter` failures both arrive here.
 */
export function classifiedFailure(args: {
  message: string;
  type: string;
  retryable: boolean;
  details: HttpFailureDetails;
  retryAfterMs?: number | undefined;
}): ApplicationFailure {
  return ApplicationFailure.create({
    message: args.message,
    type: args.type,
    nonRetryable: !args.retryable,
    details: [args.details],
    ...(args.retryable && args.retryAfterMs !== undefined && { nextRetryDelay: args.retryAfterMs }),
  });
}

/** The failure for an answered call whose status is not a success. */
export function statusFailure(args: {
  message: string;
  status: number;
  attempt: number;
  body: string | undefined;
  retryAfterMs: number | undefined;
}): ApplicationFailure {
  const details: HttpFailureDetails = { status: args.status, attempt: args.attempt };
  if (args.body !== undefined) details.body = args.body;
  return classifiedFailure({
    message: args.message,
    type: HttpFailureType.status,
    retryable: isRetryableStatus(args.status),
    details,
    retryAfterMs: args.retryAfterMs,
  });
}

/** A retryable failure without an answer (timeout or network error). */
export function transportFailure(
  type: 'HttpTimeout' | 'HttpNetworkError',
  message: string,
  attempt: number,
): ApplicationFailure {
  const details: HttpFailureDetails = { attempt };
  return ApplicationFailure.create({ message, type, nonRetryable: false, details: [details] });
}

/** A non-retryable failure for a request that cannot be built; fixing the config or env and redriving helps. */
export function configFailure(message: string, attempt: number): ApplicationFailure {
  const details: HttpFailureDetails = { attempt };
  return ApplicationFailure.create({ message, type: HttpFailureType.config, nonRetryable: true, details: [details] });
}
