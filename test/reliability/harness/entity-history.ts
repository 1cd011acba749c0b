/**
 * Reads what an entity's event log really holds: every event delivered to the entity workflow by signal
 * or accepted update, across its whole continue-as-new chain. This is the ground truth the reliability
 * scenarios compare acknowledgements against.
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { runChain } from '../../../src/event-log/entity-event-log.js';
import { recordedEvents } from '../../../src/event-log/history-events.js';

type History = temporal.api.history.v1.IHistory;

export interface LoggedEvent {
  eventId: string;
  source: string;
  runId: string;
  via: 'signal' | 'update';
}

export interface EntityLog {
  workflowId: string;
  /** Run ids, oldest first. */
  runs: string[];
  events: LoggedEvent[];
  histories: Array<{ runId: string; history: History }>;
}

/** Event deliveries recorded in one run's history, in order (decoded as the export decodes them). */
export function loggedEvents(history: History, runId: string): LoggedEvent[] {
  return recordedEvents(history.events ?? [], runId).map(({ event, via }) => ({
    eventId: event.id,
    source: event.source,
    runId,
    via,
  }));
}

/** The whole event log of one entity workflow: the latest run and every run it continued from. */
export async function readEntityLog(client: Client, workflowId: string): Promise<EntityLog> {
  const latest = await client.workflow.getHandle(workflowId).describe();
  const histories: Array<{ runId: string; history: History }> = [];
  for (const runId of await runChain(client, workflowId, latest.runId)) {
    histories.push({ runId, history: await client.workflow.getHandle(workflowId, runId).fetchHistory() });
  }
  return {
    workflowId,
    runs: histories.map((h) => h.runId),
    events: histories.flatMap(({ runId, history }) => loggedEvents(history, runId)),
    histories,
  };
}

export interface LogAudit {
  /** Acknowledged events found exactly once across all the logs. */
  onceInHistory: number;
  /** Acknowledged events found in no log. */
  missing: string[];
  /** Events found more than once (in one log or across logs), with their count. */
  repeated: Array<{ eventId: string; count: number }>;
  /** Events in the logs that were never sent (should be none). */
  unknown: string[];
}

/** Compares acknowledged event ids against the entity logs: each must appear exactly once. */
export function auditLogs(logs: EntityLog[], acknowledged: Iterable<string>, sent: Iterable<string>): LogAudit {
  const counts = new Map<string, number>();
  for (const log of logs) for (const e of log.events) counts.set(e.eventId, (counts.get(e.eventId) ?? 0) + 1);
  const sentSet = new Set(sent);
  const missing: string[] = [];
  let onceInHistory = 0;
  for (const id of acknowledged) {
    const count = counts.get(id) ?? 0;
    if (count === 0) missing.push(id);
    if (count === 1) onceInHistory++;
  }
  return {
    onceInHistory,
    missing,
    repeated: [...counts].filter(([, count]) => count > 1).map(([eventId, count]) => ({ eventId, count })),
    unknown: [...counts.keys()].filter((id) => !sentSet.has(id)),
  };
}
