/**
 * Raw-Temporal baselines the engine is measured against, run on the same server with the same worker
 * options. B0 (`countingWorkflow`): a signal handler that only counts. B1 (`activityWorkflow`): B0 plus
 * one no-op activity per signal. Both continue as new on the engine's schedule, so long runs stay legal.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineSignal,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { BaselineActivities } from './baseline-activities.js';

/** The same signal name and payload shape as the engine's `eventSignal`. */
export const baselineEventSignal = defineSignal<[{ events: Array<{ id: string }> }]>('event');

/** The engine's continue-as-new threshold (MAX_EVENTS_PER_RUN), kept equal for a fair comparison. */
const MAX_EVENTS_PER_RUN = 2_000;

const { noop } = proxyActivities<BaselineActivities>({ startToCloseTimeout: '10 seconds' });

/** B0: counts events. */
export async function countingWorkflow(): Promise<void> {
  let count = 0;
  setHandler(baselineEventSignal, ({ events }) => {
    count += events.length;
  });
  await condition(() => count >= MAX_EVENTS_PER_RUN || workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  await continueAsNew<typeof countingWorkflow>();
}

/** B1: counts events and runs one no-op activity per signal. */
export async function activityWorkflow(): Promise<void> {
  let count = 0;
  let running = 0;
  setHandler(baselineEventSignal, ({ events }) => {
    count += events.length;
    running++;
    void noop(events[0]?.id ?? '').finally(() => running--);
  });
  await condition(() => count >= MAX_EVENTS_PER_RUN || workflowInfo().continueAsNewSuggested);
  await condition(() => running === 0 && allHandlersFinished());
  await continueAsNew<typeof activityWorkflow>();
}
