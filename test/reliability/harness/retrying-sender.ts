/**
 * A well-behaved HTTP source: posts one CloudEvent to the ingest API until it is acknowledged (2xx),
 * waiting as long as each 503's Retry-After says (and retrying refused connections), as the ingest
 * contract asks of its callers.
 */

export interface RetriedPost {
  /** Final status (2xx when acknowledged). */
  status: number;
  /** How many 503 answers came before it, and whether each carried Retry-After. */
  unavailable: number;
  unavailableWithoutRetryAfter: number;
  /** Transport failures (refused, reset) before it. */
  networkErrors: number;
  /** Engine time of the acknowledgement (ms since epoch). */
  acknowledgedAt?: number;
}

/** Posts `event` as structured JSON to `${base}/events`, retrying 503 and network errors until `deadline`. */
export async function postUntilAcknowledged(
  base: string,
  event: unknown,
  options: { deadline: number; maxWaitMs?: number },
): Promise<RetriedPost> {
  const result: RetriedPost = { status: 0, unavailable: 0, unavailableWithoutRetryAfter: 0, networkErrors: 0 };
  for (;;) {
    let wait = 500;
    try {
      const response = await fetch(`${base}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify(event),
      });
      await response.arrayBuffer();
      result.status = response.status;
      if (response.status >= 200 && response.status < 300) {
        result.acknowledgedAt = Date.now();
        return result;
      }
      if (response.status !== 503) return result;
      result.unavailable++;
      const retryAfter = response.headers.get('retry-after');
      if (retryAfter === null) result.unavailableWithoutRetryAfter++;
      else wait = Number(retryAfter) * 1000;
    } catch {
      result.networkErrors++;
    }
    if (Date.now() + wait > options.deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, Math.min(wait, options.maxWaitMs ?? 30_000)));
  }
}
