/**
 * The durable record of a pause (`hunt connectors pause`, `hunt rules pause`): a workflow
 * `hunt.pause/<kind>/<name>` that is running while the connector or rule is paused and completes on the
 * `resume` signal. Searchable (`HuntOperation = "connector-pause"`, `HuntTarget = "<name>"`), and its history
 * says who paused when and when it was lifted. It does nothing else: no timers, two workflow tasks in its life.
 */
import { condition, setHandler } from '@temporalio/workflow';
import { resumeSignal, type PauseInput } from '../src/contract/operations.js';
import { workflowNow } from './workflow-time.js';

/** Holds a pause until it is resumed; returns when it was lifted. */
export async function pauseRecordWorkflow(input: PauseInput): Promise<{ pausedAt: number; resumedAt: number }> {
  let resumed = false;
  setHandler(resumeSignal, () => {
    resumed = true;
  });
  await condition(() => resumed);
  return { pausedAt: input.pausedAt, resumedAt: workflowNow() };
}
