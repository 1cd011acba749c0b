/**
 * Reads one entity's event log back from Temporal: the histories of every run of its workflow, oldest
 * first, across continue-as-new. The chain is followed from the latest run back through each run's
 * `continuedExecutionRunId`, and only from the latest run: a run revived by a reset copies the history
 * of the run it was reset from, so following every run in visibility would read those events twice.
 * Histories are read page by page, so memory holds one page, never a whole log.
 */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter, type PayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { recordedEvents, type RecordedEvent } from './history-events.js';

/** Events per history page asked of the server (its own cap applies). */
const PAGE_SIZE = 1_000;

function payloadConverterOf(client: Client): PayloadConverter {
  const loaded = (client.options as { loadedDataConverter?: { payloadConverter?: PayloadConverter } })
    .loadedDataConverter;
  return loaded?.payloadConverter ?? defaultPayloadConverter;
}

/** The run ids of an entity's chain, oldest first, ending with `latestRunId`. */
export async function runChain(client: Client, workflowId: string, latestRunId: string): Promise<string[]> {
  const runs: string[] = [];
  for (let runId: string | undefined = latestRunId; runId;) {
    runs.unshift(runId);
    // The first event alone says where the run continued from: one small read per run.
    const page: temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryResponse =
      await client.workflowService.getWorkflowExecutionHistory({
        namespace: client.options.namespace,
        execution: { workflowId, runId },
        maximumPageSize: 1,
      });
    runId = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
    if (runId !== undefined && runs.includes(runId)) break;
  }
  return runs;
}

/** The events recorded in one run's history, page by page. */
export async function* runEvents(
  client: Client,
  workflowId: string,
  runId: string,
  converter: PayloadConverter = payloadConverterOf(client),
): AsyncGenerator<RecordedEvent> {
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, runId },
      maximumPageSize: PAGE_SIZE,
      ...(nextPageToken && { nextPageToken }),
    });
    yield* recordedEvents(page.history?.events ?? [], runId, converter);
    nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
  } while (nextPageToken);
}

/** Every event delivered to one entity workflow, oldest run first; `latestRunId` defaults to the current run. */
export async function* entityEvents(
  client: Client,
  workflowId: string,
  latestRunId?: string,
): AsyncGenerator<RecordedEvent> {
  const latest = latestRunId ?? (await client.workflow.getHandle(workflowId).describe()).runId;
  const converter = payloadConverterOf(client);
  for (const runId of await runChain(client, workflowId, latest))
    yield* runEvents(client, workflowId, runId, converter);
}
