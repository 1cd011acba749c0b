/**
 * How a connector call's outcome becomes a Temporal failure: which statuses and errors are worth
 * retrying, how `Retry-After` steers the next attempt, and the stable failure types and details the
 * workflow reads to build a dead letter.
 */
import { ApplicationFailure } from '@temporalio/common';

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

/** Details attached to every connector failure: `[details]`. */
export interface HttpFailureDetails {
  status?: number;
  attempt: number;
  /** Response body, truncated and scrubbed of secrets. */
  body?: string;
}

/** Statuses counted as success when the connector lists none: 2xx. */
export const DEFAULT_SUCCESS_STATUSES: Array<[number, number]> = [[200, 299]];

/** True when `status` falls in one of the connector's success ranges (default 2xx). */
export function isSuccessStatus(status: number, ranges: Array<[number, number]>): boolean {
  const effective = ranges.length > 0 ? ranges : DEFAULT_SUCCESS_STATUSES;
  return effective.some(([low, high]) => status >= low && status <= high);
}

/** 408, 429 and 5xx may succeed later; any other failing status will not. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Milliseconds to wait according to a `Retry-After` header (delay-seconds or an HTTP date);
 * undefined when absent, unparsable or not in the future.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const ms = Number(text) * 1000;
    return ms > 0 ? ms : undefined;
  }
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  const ms = at - now;
  return ms > 0 ? ms : undefined;
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
  if (!isRetryableStatus(args.status)) {
    return ApplicationFailure.create({
      message: args.message,
      type: HttpFailureType.status,
      nonRetryable: true,
      details: [details],
    });
  }
  return ApplicationFailure.create({
    message: args.message,
    type: HttpFailureType.status,
    nonRetryable: false,
    details: [details],
    ...(args.retryAfterMs !== undefined && { nextRetryDelay: args.retryAfterMs }),
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
