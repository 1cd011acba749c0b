/**
 * What one run's history holds of the entity's event log: every event delivered by the `event` signal or
 * by an accepted `publish` update, in history order (the order the workflow handled them). Pure: it reads
 * history entries already fetched, so the export, the test harness and audits decode them the same way.
 */
import { defaultPayloadConverter, type PayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { EngineEvent } from '../rules/types.js';
import { eventSignal, publishUpdate, type EventBatch } from '../contract/messages.js';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Payloads = temporal.api.common.v1.IPayloads | null | undefined;

/** One delivery of one event, as recorded in a run's history. */
export interface RecordedEvent {
  event: EngineEvent;
  /** When the server recorded the delivery (ms since epoch): the engine time the event arrived. */
  at: number;
  runId: string;
  via: 'signal' | 'update';
}

function batchEvents(payloads: Payloads, converter: PayloadConverter): EngineEvent[] {
  const first = payloads?.payloads?.[0];
  if (!first) return [];
  const batch = converter.fromPayload<EventBatch>(first);
  const events = Array.isArray(batch?.events) ? batch.events : [];
  // The workflow ignores what is not an event (see entity-run.ts): so does the log.
  return events.filter(
    (e): e is EngineEvent =>
      e !== null &&
      typeof e === 'object' &&
      typeof e.id === 'string' &&
      typeof e.source === 'string' &&
      typeof e.type === 'string',
  );
}

/** Milliseconds of a history event's `eventTime` (seconds may be a Long). */
export function historyEventTime(entry: HistoryEvent): number {
  const time = entry.eventTime;
  if (!time) return 0;
  return Number(time.seconds ?? 0) * 1000 + Math.floor((time.nanos ?? 0) / 1e6);
}

/** Event deliveries recorded in some history entries of one run, in order. */
export function recordedEvents(
  entries: Iterable<HistoryEvent>,
  runId: string,
  converter: PayloadConverter = defaultPayloadConverter,
): RecordedEvent[] {
  const out: RecordedEvent[] = [];
  for (const entry of entries) {
    const signaled = entry.workflowExecutionSignaledEventAttributes;
    if (signaled && signaled.signalName === eventSignal.name) {
      const at = historyEventTime(entry);
      for (const event of batchEvents(signaled.input, converter)) out.push({ event, at, runId, via: 'signal' });
    }
    const accepted = entry.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
    if (accepted && accepted.name === publishUpdate.name) {
      const at = historyEventTime(entry);
      for (const event of batchEvents(accepted.args, converter)) out.push({ event, at, runId, via: 'update' });
    }
  }
  return out;
}
