/**
 * The export of the event log: every event the engine acknowledged, read back from Temporal histories
 * as CloudEvents, entity by entity and in order per entity. How it scales: one visibility query lists the
 * entities (their latest runs), then per entity one describe, one small read per run of its chain, and
 * its history pages. Memory holds one history page and the event ids of the entity being read (to drop
 * re-deliveries), never the whole export. Time per event is the history fetch: see docs/operations.md.
 */
import type { Client } from '@temporalio/client';
import { parseEntityWorkflowId } from '../rules/routing.js';
import type { EngineEvent } from '../rules/types.js';
import { visibilityString } from '../live-map/live-counts.js';
import { ENTITY_WORKFLOW_TYPE } from '../contract/messages.js';
import { HuntEntityType } from '../contract/search-attributes.js';
import { entityEvents } from './entity-event-log.js';
import { keepsEvent, type EventFilters } from './event-filters.js';

/** One exported line: the CloudEvents envelope as delivered, plus `at`, the engine time it arrived. */
export type ExportedEvent = EngineEvent & { at: string };

export interface ExportProgress {
  /** Entities read so far (the one being read included). */
  entities: number;
  /** Events written so far. */
  events: number;
  /** Re-deliveries of an event already in the entity's log (not written: the entity ignored them). */
  duplicates: number;
  /** The entity being read. */
  entity: string;
}

/**
 * The visibility query for the entities the filters select. Without `until` it lists each chain's latest run.
 * With `until` it lists every run that started by then (a chain's first run started before any of its events),
 * whatever its status, so an entity whose chain started after `until` is never read.
 */
export function entityListQuery(filters: Pick<EventFilters, 'entityType' | 'since' | 'until'>): string {
  const clauses = [`WorkflowType = ${visibilityString(ENTITY_WORKFLOW_TYPE)}`];
  if (filters.until === undefined) {
    // Runs closed by continue-as-new are read through their successor's chain.
    clauses.push('ExecutionStatus != "ContinuedAsNew"');
    // A chain whose latest run closed before `since` holds nothing that recent.
    if (filters.since !== undefined) {
      clauses.push(`(ExecutionStatus = "Running" OR CloseTime >= "${new Date(filters.since).toISOString()}")`);
    }
  } else {
    clauses.push(`StartTime <= "${new Date(filters.until).toISOString()}"`);
  }
  if (filters.entityType !== undefined)
    clauses.push(`${HuntEntityType.name} = ${visibilityString(filters.entityType)}`);
  return clauses.join(' AND ');
}

/** Entity workflows to read: `{ workflowId, runId }` of each chain's latest run, each entity once. */
export async function* entitiesToExport(
  client: Client,
  filters: EventFilters,
): AsyncGenerator<{ workflowId: string; runId: string }> {
  if (filters.entity !== undefined) {
    const ref = parseEntityWorkflowId(filters.entity)!;
    if (filters.entityType !== undefined && ref.type !== filters.entityType) return;
    const described = await client.workflow.getHandle(filters.entity).describe();
    yield { workflowId: filters.entity, runId: described.runId };
    return;
  }
  // With `until` the listing holds every run of a chain: each entity is read once (its id kept, nothing more).
  const listed = filters.until === undefined ? undefined : new Set<string>();
  for await (const execution of client.workflow.list({ query: entityListQuery(filters) })) {
    if (listed) {
      if (listed.has(execution.workflowId)) continue;
      listed.add(execution.workflowId);
    }
    // A reset leaves the run it replaced closed (terminated) beside the new one: only the latest counts.
    const latest = await client.workflow.getHandle(execution.workflowId).describe();
    if (listed) {
      const closed = latest.closeTime?.getTime();
      if (filters.since !== undefined && closed !== undefined && closed < filters.since) continue;
    } else if (latest.runId !== execution.runId) continue;
    yield { workflowId: execution.workflowId, runId: latest.runId };
  }
}

/** Streams the events the filters select, entity by entity, in order per entity, without re-deliveries. */
export async function* exportEvents(
  client: Client,
  filters: EventFilters,
  onProgress?: (progress: ExportProgress) => void,
): AsyncGenerator<ExportedEvent> {
  const progress: ExportProgress = { entities: 0, events: 0, duplicates: 0, entity: '' };
  for await (const { workflowId, runId } of entitiesToExport(client, filters)) {
    progress.entities++;
    progress.entity = workflowId;
    onProgress?.(progress);
    // The entity dedupes on (source, id) across its runs; the export drops the same re-deliveries.
    const seen = new Set<string>();
    for await (const recorded of entityEvents(client, workflowId, runId)) {
      const key = `${recorded.event.source}\u0000${recorded.event.id}`;
      if (seen.has(key)) {
        progress.duplicates++;
        continue;
      }
      seen.add(key);
      // An entity's events are in arrival order: past `until` nothing more of it is exported.
      if (filters.until !== undefined && recorded.at > filters.until) break;
      if (!keepsEvent(filters, recorded)) continue;
      progress.events++;
      yield { ...recorded.event, at: new Date(recorded.at).toISOString() };
    }
    onProgress?.(progress);
  }
}
