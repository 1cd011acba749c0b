/**
 * Bulk redrive: every open dead letter that matches the filters (connector, rule, entity type, since,
 * failure text), found through visibility (`HuntDeadLetters > 0` on running entities) and each entity's
 * `deadLetters` query, then redriven one by one with its original idempotency key (the `redrive` update).
 * The same plan and run serve `hunt redrive --all` and `POST /dead-letters/redrive`.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { z } from 'zod';
import { visibilityString } from '../live-map/live-counts.js';
import { parseTimeBound } from '../event-log/event-filters.js';
import { deadLettersQuery, redriveUpdate, type DeadLetter } from '../contract/messages.js';
import { HuntDeadLetters, HuntEntityType } from '../contract/search-attributes.js';

const name = z.string().min(1).max(200);

export const redriveFiltersSchema = z
  .object({
    connector: name.optional(),
    rule: name.optional(),
    entityType: name.optional(),
    /** Dead letters that failed for good at or after this time (ISO 8601, ms, or a duration ago: 24h). */
    since: z
      .string()
      .transform((text, ctx) => {
        const ms = parseTimeBound(text);
        if (ms === undefined) {
          ctx.addIssue({ code: 'custom', message: `"${text}" is not a time: write ISO 8601 or a duration ago (24h)` });
          return z.NEVER;
        }
        return ms;
      })
      .optional(),
    /** Text the last failure contains (case-insensitive). */
    failure: name.optional(),
  })
  .strict();

export type RedriveFilters = z.infer<typeof redriveFiltersSchema>;

/** One dead letter to redrive. */
export interface RedriveTarget {
  entity: string;
  letter: DeadLetter;
}

export interface RedriveOutcome extends RedriveTarget {
  ok: boolean;
  error?: string;
}

export interface RedriveSummary {
  planned: number;
  redriven: number;
  failedAgain: number;
  results: RedriveOutcome[];
}

/** Whether an open dead letter matches the filters. */
export function matchesRedrive(filters: RedriveFilters, entity: string, letter: DeadLetter): boolean {
  if (letter.redriven !== undefined) return false;
  if (filters.connector !== undefined && letter.connector !== filters.connector) return false;
  if (filters.rule !== undefined && letter.ruleId !== filters.rule) return false;
  if (filters.entityType !== undefined && !entity.startsWith(`${filters.entityType}/`)) return false;
  if (filters.since !== undefined && letter.at < filters.since) return false;
  if (filters.failure !== undefined && !letter.lastFailure.toLowerCase().includes(filters.failure.toLowerCase()))
    return false;
  return true;
}

export interface PlanOptions {
  /**
   * Only the entities of this deployment's task queue. Other deployments sharing the namespace have their own
   * workers; their entities are theirs to redrive (and answer queries only while those workers run).
   */
  taskQueue?: string;
}

/** The visibility query for running entities with dead letters that a plan reads. */
export function redriveListQuery(filters: RedriveFilters, options: PlanOptions = {}): string {
  const clauses = [`${HuntDeadLetters.name} > 0`, 'ExecutionStatus = "Running"'];
  if (filters.entityType !== undefined)
    clauses.push(`${HuntEntityType.name} = ${visibilityString(filters.entityType)}`);
  if (options.taskQueue !== undefined) clauses.push(`TaskQueue = ${visibilityString(options.taskQueue)}`);
  return clauses.join(' AND ');
}

/** The dead letters a bulk redrive would re-run, oldest first per entity. */
export async function planRedrive(
  client: Client,
  filters: RedriveFilters,
  options: PlanOptions = {},
): Promise<RedriveTarget[]> {
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query: redriveListQuery(filters, options) })) ids.push(wf.workflowId);
  const targets: RedriveTarget[] = [];
  for (const entity of [...new Set(ids)].sort()) {
    let letters: DeadLetter[];
    try {
      letters = await client.workflow.getHandle(entity).query(deadLettersQuery);
    } catch (err) {
      // Closed since visibility listed it: nothing to redrive there.
      if (err instanceof WorkflowNotFoundError) continue;
      throw err;
    }
    for (const letter of letters) if (matchesRedrive(filters, entity, letter)) targets.push({ entity, letter });
  }
  return targets;
}

/** Redrives the targets one after another; a refusal or a failure again is reported, not thrown. */
export async function runRedrive(
  client: Client,
  targets: RedriveTarget[],
  onProgress?: (done: number, outcome: RedriveOutcome) => void,
): Promise<RedriveSummary> {
  const results: RedriveOutcome[] = [];
  for (const target of targets) {
    let outcome: RedriveOutcome;
    try {
      const result = await client.workflow
        .getHandle(target.entity)
        .executeUpdate(redriveUpdate, { args: [{ deadLetterId: target.letter.id }] });
      outcome = { ...target, ok: result.ok, ...(result.error !== undefined && { error: result.error }) };
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError) && !(err instanceof WorkflowUpdateFailedError)) throw err;
      const reason = err instanceof WorkflowUpdateFailedError && err.cause ? err.cause.message : err.message;
      outcome = { ...target, ok: false, error: reason };
    }
    results.push(outcome);
    onProgress?.(results.length, outcome);
  }
  const redriven = results.filter((r) => r.ok).length;
  return { planned: targets.length, redriven, failedAgain: results.length - redriven, results };
}
