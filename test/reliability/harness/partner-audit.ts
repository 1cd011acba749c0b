/**
 * What the partner systems saw, checked against the actions the configuration says must happen:
 * each expected idempotency key applied exactly once, nothing applied that was not expected.
 */
import type { RecordedRequest } from '../../../src/sandbox/sandbox-server.js';

export interface PartnerAudit {
  /** Distinct expected keys the partner applied (answered `ok`). */
  delivered: number;
  /** Requests answered as a replay of an already applied key: re-deliveries absorbed by idempotency. */
  duplicates: number;
  /** Expected keys never applied. */
  missing: string[];
  /** Keys applied more than once (the sandbox replays repeats, so this must stay empty). */
  appliedTwice: string[];
  /** Keys applied that no expected action has. */
  unexpected: string[];
  /** Requests without an idempotency key. */
  unkeyed: number;
}

/** Audits the sandbox's recorded requests against the expected idempotency keys. */
export function auditPartner(requests: RecordedRequest[], expectedKeys: Iterable<string>): PartnerAudit {
  const expected = new Set(expectedKeys);
  const applied = new Map<string, number>();
  let duplicates = 0;
  let unkeyed = 0;
  for (const request of requests) {
    if (request.idempotencyKey === undefined) {
      unkeyed++;
      continue;
    }
    if (request.outcome === 'ok') applied.set(request.idempotencyKey, (applied.get(request.idempotencyKey) ?? 0) + 1);
    if (request.outcome === 'duplicate') duplicates++;
  }
  return {
    delivered: [...expected].filter((key) => applied.has(key)).length,
    duplicates,
    missing: [...expected].filter((key) => !applied.has(key)),
    appliedTwice: [...applied].filter(([, count]) => count > 1).map(([key]) => key),
    unexpected: [...applied.keys()].filter((key) => !expected.has(key)),
    unkeyed,
  };
}

/** The idempotency key the engine gives the `index`-th action of `ruleId` fired by `eventId` on an entity. */
export function expectedKey(workflowId: string, eventId: string, ruleId: string, index = 0): string {
  return `${workflowId}:${eventId}:${ruleId}:${index}`;
}
