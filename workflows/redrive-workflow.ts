/**
 * One bulk redrive (`hunt redrive --all`, `POST /dead-letters/redrive`) as an operation of its own:
 * `hunt.redrive/<time>-<id>`, searchable (`HuntOperation = "redrive"`, `HuntTarget = "<connector>"`), its memo
 * holding the filters and the counts so far (planned, done, redriven, failedAgain). The dead letters are re-run
 * one after another, each by the `redriveDeadLetter` activity (a workflow cannot send an update to another
 * workflow), so the redrive goes on when the command or HTTP request that started it goes away.
 */
import {
  ActivityFailure,
  continueAsNew,
  proxyActivities,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { EngineActivities } from '../activities/index.js';
import {
  redriveCounts,
  redriveProgressQuery,
  type BulkRedriveInput,
  type BulkRedriveResult,
  type RedriveItemOutcome,
} from '../src/contract/operations.js';

const { redriveDeadLetter } = proxyActivities<EngineActivities>({
  // The update waits for the connector call, its retries included: long, but a dead worker shows by its heartbeat.
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/** Re-runs the dead letters in order; a refusal or a failure again is an outcome, never a failed redrive. */
export async function bulkRedriveWorkflow(input: BulkRedriveInput): Promise<BulkRedriveResult> {
  const outcomes: RedriveItemOutcome[] = [...(input.done ?? [])];
  const planned = input.items.length;
  setHandler(redriveProgressQuery, (from = 0) => ({
    ...redriveCounts(planned, outcomes),
    results: outcomes.slice(from),
  }));
  for (let i = outcomes.length; i < planned; i++) {
    const item = input.items[i]!;
    let outcome: RedriveItemOutcome;
    try {
      const result = await redriveDeadLetter({ entity: item.entity, deadLetterId: item.deadLetterId });
      outcome = { ...item, ok: result.ok, ...(result.error !== undefined && { error: result.error }) };
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      outcome = { ...item, ok: false, error: err.cause?.message ?? err.message };
    }
    outcomes.push(outcome);
    upsertMemo({ ...redriveCounts(planned, outcomes) });
    // A redrive of many thousands stays within the history limit: the next run carries the outcomes so far.
    if (workflowInfo().continueAsNewSuggested && i + 1 < planned)
      await continueAsNew<typeof bulkRedriveWorkflow>({ ...input, done: outcomes });
  }
  return { ...redriveCounts(planned, outcomes), results: outcomes };
}
