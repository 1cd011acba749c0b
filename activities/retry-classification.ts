/**
 * Which connector outcomes are worth another attempt, and when: shared by the HTTP connector (statuses,
 * `Retry-After`) and the connector SDK (`failureFromStatus`, `retryAfter`). Pure, so the SDK a connector module
 * imports stays light.
 */

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
