/**
 * Recent operator operations (replays, bulk redrives, pauses) read back from Temporal visibility: every
 * workflow with a `HuntOperation`, newest first. The replay of one `hunt replay` run is many workflows (one per
 * firing); they are shown as one operation, grouped by their `replayId` memo. Serves `hunt operations`,
 * `GET /operations` and the live map.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { RedriveCounts, RedriveFilterRecord } from '../contract/operations.js';
import { HuntOperation, HuntTarget } from '../contract/search-attributes.js';
import { visibilityString } from '../live-map/live-counts.js';

/** What an operation is. */
export type OperationKind = 'replay' | 'redrive' | 'connector-pause' | 'rule-pause';

export const OPERATION_KINDS: readonly OperationKind[] = ['replay', 'redrive', 'connector-pause', 'rule-pause'];

/** Where an operation is: running (a pause in effect, a redrive or replay under way), done, or failed. */
export type OperationStatus = 'running' | 'completed' | 'failed';

/** One operation as `hunt operations` lists it. */
export interface OperationRecord {
  kind: OperationKind;
  /** The workflow id (a replay: `hunt.replay/<replayId>`, standing for its firings' workflows). */
  id: string;
  /** The connector or rule it is about (a redrive: its connector, rule or entity type filter, else `all`). */
  target: string;
  status: OperationStatus;
  /** ISO times. */
  started: string;
  closed?: string;
  /** The outcome in words, e.g. `4 of 4 redriven`. */
  summary: string;
  /** A redrive's counts, a replay's firings. */
  counts?: RedriveCounts | { firings: number; running: number; failed: number };
  /** A redrive's filters. */
  filters?: RedriveFilterRecord;
  /** A pause's reason. */
  reason?: string;
}

export interface ListOperationsOptions {
  /** At most this many operations (default 20). */
  limit?: number;
  kind?: OperationKind;
  /** Only running ones. */
  running?: boolean;
  /** Only those run on this task queue (one deployment's, when several share a namespace). */
  taskQueue?: string;
  /** How many workflows to read at most (replays are one per firing). Default 1000. */
  scan?: number;
}

/** The visibility query of the operations listed (usable in the Web UI's search box as well). */
export function operationsQuery(options: Pick<ListOperationsOptions, 'kind' | 'running' | 'taskQueue'> = {}): string {
  const clauses = [
    options.kind !== undefined
      ? `${HuntOperation.name} = "${options.kind}"`
      : `${HuntOperation.name} IN (${OPERATION_KINDS.map((k) => `"${k}"`).join(', ')})`,
  ];
  if (options.running === true) clauses.push('ExecutionStatus = "Running"');
  if (options.taskQueue !== undefined) clauses.push(`TaskQueue = ${visibilityString(options.taskQueue)}`);
  return clauses.join(' AND ');
}

function statusOf(execution: WorkflowExecutionInfo): OperationStatus {
  const name = execution.status.name;
  if (name === 'RUNNING') return 'running';
  return name === 'COMPLETED' ? 'completed' : 'failed';
}

const isKind = (value: unknown): value is OperationKind => OPERATION_KINDS.includes(value as OperationKind);

interface Memo {
  replayId?: unknown;
  ruleId?: unknown;
  name?: unknown;
  reason?: unknown;
  filters?: unknown;
  planned?: unknown;
  done?: unknown;
  redriven?: unknown;
  failedAgain?: unknown;
}

const num = (value: unknown): number => (typeof value === 'number' ? value : 0);

function oneOperation(kind: OperationKind, execution: WorkflowExecutionInfo, memo: Memo): OperationRecord {
  const status = statusOf(execution);
  const target = execution.typedSearchAttributes.get(HuntTarget) ?? (typeof memo.name === 'string' ? memo.name : '');
  const base = {
    kind,
    id: execution.workflowId,
    target,
    status,
    started: execution.startTime.toISOString(),
    ...(execution.closeTime !== undefined && { closed: execution.closeTime.toISOString() }),
  };
  if (kind === 'redrive') {
    const counts = {
      planned: num(memo.planned),
      done: num(memo.done),
      redriven: num(memo.redriven),
      failedAgain: num(memo.failedAgain),
    };
    const failed = counts.failedAgain > 0 ? `, ${counts.failedAgain} failed again` : '';
    const summary =
      status === 'running'
        ? `${counts.done} of ${counts.planned} done (${counts.redriven} redriven${failed})`
        : `${counts.redriven} of ${counts.planned} redriven${failed}`;
    return {
      ...base,
      summary,
      counts,
      ...(memo.filters !== null && typeof memo.filters === 'object' && { filters: memo.filters }),
    };
  }
  const reason = typeof memo.reason === 'string' ? memo.reason : undefined;
  const summary =
    status === 'running'
      ? `paused${reason !== undefined ? `: ${reason}` : ''}`
      : status === 'completed'
        ? 'resumed'
        : status;
  return { ...base, summary, ...(reason !== undefined && { reason }) };
}

/** The replay's firings (workflows) as one operation. */
function replayOperation(replayId: string, firings: WorkflowExecutionInfo[]): OperationRecord {
  const statuses = firings.map(statusOf);
  const running = statuses.filter((s) => s === 'running').length;
  const failed = statuses.filter((s) => s === 'failed').length;
  const rules = [
    ...new Set(firings.map((f) => f.typedSearchAttributes.get(HuntTarget) ?? (f.memo?.ruleId as string | undefined))),
  ]
    .filter((r): r is string => typeof r === 'string')
    .sort();
  const started = Math.min(...firings.map((f) => f.startTime.getTime()));
  const closes = firings.map((f) => f.closeTime?.getTime());
  const status: OperationStatus = running > 0 ? 'running' : failed > 0 ? 'failed' : 'completed';
  const n = firings.length;
  const parts = [running > 0 && `${running} running`, failed > 0 && `${failed} failed`].filter(Boolean);
  return {
    kind: 'replay',
    id: `hunt.replay/${replayId}`,
    target: rules.join(','),
    status,
    started: new Date(started).toISOString(),
    ...(running === 0 &&
      closes.every((c) => c !== undefined) && { closed: new Date(Math.max(...closes)).toISOString() }),
    summary: `${n} firing${n === 1 ? '' : 's'} replayed${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`,
    counts: { firings: n, running, failed },
  };
}

/** Recent operations from visibility, newest first. */
export async function listOperations(client: Client, options: ListOperationsOptions = {}): Promise<OperationRecord[]> {
  const limit = options.limit ?? 20;
  const scan = options.scan ?? 1000;
  const records: OperationRecord[] = [];
  const replays = new Map<string, WorkflowExecutionInfo[]>();
  let read = 0;
  for await (const execution of client.workflow.list({ query: operationsQuery(options), pageSize: 200 })) {
    if (++read > scan) break;
    const kind = execution.typedSearchAttributes.get(HuntOperation);
    // A run that continued as new (a long redrive) is listed by its newest run.
    if (!isKind(kind) || execution.status.name === 'CONTINUED_AS_NEW') continue;
    const memo = (execution.memo ?? {}) as Memo;
    if (kind === 'replay') {
      const replayId = typeof memo.replayId === 'string' ? memo.replayId : execution.workflowId;
      replays.set(replayId, [...(replays.get(replayId) ?? []), execution]);
    } else {
      records.push(oneOperation(kind, execution, memo));
    }
  }
  for (const [replayId, firings] of replays) records.push(replayOperation(replayId, firings));
  return records.sort((a, b) => b.started.localeCompare(a.started) || a.id.localeCompare(b.id)).slice(0, limit);
}

/** The operations as a table: kind, target, status, started, summary. */
export function formatOperations(records: readonly OperationRecord[]): string {
  if (records.length === 0) return 'No operations recorded.\n';
  const rows = [
    ['KIND', 'TARGET', 'STATUS', 'STARTED', 'SUMMARY', 'ID'],
    ...records.map((r) => [r.kind, r.target, r.status, r.started.replace(/\.\d+Z$/, 'Z'), r.summary, r.id]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return `${rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n')}\n`;
}
