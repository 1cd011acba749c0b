/**
 * Bulk redrive: every open dead letter that matches the filters (connector, rule, entity type, since,
 * failure text), found through visibility (`HuntDeadLetters > 0` on running entities) and each entity's
 * `deadLetters` query, then redriven one by one with its original idempotency key (the `redrive` update) by an
 * operation workflow of its own (workflows/redrive-workflow.ts), which the caller waits for but does not hold up.
 * The same plan and run serve `hunt redrive --all` and `POST /dead-letters/redrive`.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { QueryNotRegisteredError, WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { z } from 'zod';
import { visibilityString } from '../live-map/live-counts.js';
import { parseTimeBound } from '../event-log/event-filters.js';
import { deadLettersQuery, type DeadLetter } from '../contract/messages.js';
import {
  REDRIVE_WORKFLOW_TYPE,
  redriveCounts,
  redriveProgressQuery,
  redriveTarget,
  redriveWorkflowId,
  type BulkRedriveInput,
  type BulkRedriveResult,
  type RedriveFilterRecord,
  type RedriveItemOutcome,
} from '../contract/operations.js';
import { HuntDeadLetters, HuntEntityType, HuntOperation, HuntTarget } from '../contract/search-attributes.js';

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
  /** The operation's workflow id (`hunt.redrive/...`): find it in the Web UI or with `hunt operations`. */
  operationId: string;
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

/** A bulk redrive started as an operation of its own (`hunt.redrive/...`). */
export interface StartedRedrive {
  operationId: string;
  handle: WorkflowHandle;
}

/** The filters as recorded in the operation (memo, input): only what was given. */
export function filterRecord(filters: RedriveFilters): RedriveFilterRecord {
  return Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined));
}

/**
 * Starts the bulk redrive of `targets` as a workflow on the engine's task queue: searchable by `HuntOperation =
 * "redrive"` and `HuntTarget`, its memo holding the filters and the counts. It runs on without the caller.
 */
export async function startRedrive(
  client: Client,
  taskQueue: string,
  filters: RedriveFilters,
  targets: RedriveTarget[],
): Promise<StartedRedrive> {
  const operationId = redriveWorkflowId(Date.now(), randomUUID().slice(0, 8));
  const record = filterRecord(filters);
  const input: BulkRedriveInput = {
    filters: record,
    items: targets.map(({ entity, letter }) => ({
      entity,
      deadLetterId: letter.id,
      connector: letter.connector,
      ruleId: letter.ruleId,
    })),
  };
  const handle = await client.workflow.start(REDRIVE_WORKFLOW_TYPE, {
    workflowId: operationId,
    taskQueue,
    args: [input],
    typedSearchAttributes: [
      { key: HuntOperation, value: 'redrive' },
      { key: HuntTarget, value: redriveTarget(record) },
    ],
    memo: { kind: 'redrive', filters: record, ...redriveCounts(targets.length, []) },
  });
  return { operationId, handle };
}

/**
 * Waits for a started redrive, reporting each outcome once (polling its progress query), and sums it up with the
 * full dead letters of the plan. The redrive does not depend on this wait: a caller gone leaves it running.
 */
export async function waitRedrive(
  started: StartedRedrive,
  targets: RedriveTarget[],
  onProgress?: (done: number, outcome: RedriveOutcome) => void,
  pollMs = 300,
): Promise<RedriveSummary> {
  const letters = new Map(targets.map((t) => [`${t.entity}\u0000${t.letter.id}`, t]));
  const outcomeOf = (o: RedriveItemOutcome): RedriveOutcome => {
    const target = letters.get(`${o.entity}\u0000${o.deadLetterId}`);
    return {
      entity: o.entity,
      letter: target?.letter ?? ({ id: o.deadLetterId, connector: o.connector, ruleId: o.ruleId } as DeadLetter),
      ok: o.ok,
      ...(o.error !== undefined && { error: o.error }),
    };
  };
  let reported = 0;
  const report = (outcomes: RedriveItemOutcome[]) => {
    for (const o of outcomes) onProgress?.(++reported, outcomeOf(o));
  };
  const result = started.handle.result() as Promise<BulkRedriveResult>;
  let finished = false;
  void result.then(
    () => (finished = true),
    () => (finished = true),
  );
  while (!finished && onProgress) {
    try {
      report((await started.handle.query(redriveProgressQuery, reported)).results);
    } catch (err) {
      // Between runs (continue-as-new) or done meanwhile: the next poll, or the result, tells.
      if (!(err instanceof QueryNotRegisteredError) && !(err instanceof WorkflowNotFoundError)) throw err;
    }
    if (!finished) await sleep(pollMs);
  }
  const done = await result;
  report(done.results.slice(reported));
  return {
    operationId: started.operationId,
    planned: done.planned,
    redriven: done.redriven,
    failedAgain: done.failedAgain,
    results: done.results.map(outcomeOf),
  };
}

/** Starts a bulk redrive and waits for it (see startRedrive and waitRedrive). */
export async function runRedrive(
  client: Client,
  options: { taskQueue: string; filters: RedriveFilters; targets: RedriveTarget[] },
  onProgress?: (done: number, outcome: RedriveOutcome) => void,
): Promise<RedriveSummary> {
  const started = await startRedrive(client, options.taskQueue, options.filters, options.targets);
  return await waitRedrive(started, options.targets, onProgress);
}
