/**
 * Pauses of connectors and rules (issue 18), shared by `hunt connectors|rules pause|resume|list` and the
 * admin endpoints. A pause is a record workflow `hunt.pause/<kind>/<name>` (workflows/pause-record-workflow.ts),
 * running while the pause holds: durable, shared by every worker, searchable (`HuntOperation`, `HuntTarget`).
 *
 * - A paused **connector**'s calls are refused by the connector activity (`ConnectorPaused`) and wait in their
 *   entity (workflows/paused-calls.ts). Resuming ends the record, waits until no worker trusts its cached
 *   "paused" any more, then signals every entity whose `HuntWaitingOn` names the connector; their calls go out
 *   in order. An entity visibility has not caught up with yet goes on at its next durable recheck.
 * - A paused **rule** is handled by the entity workflow (see docs/operations.md#pausing-a-rule).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { CompiledConfig } from '../config/compiled.js';
import { didYouMean } from '../config/did-you-mean.js';
import { EngineError } from '../contract/engine-error.js';
import {
  connectorResumedSignal,
  PAUSE_CHECK_TTL_MS,
  PAUSE_WORKFLOW_TYPE,
  pauseOperation,
  pauseWorkflowId,
  resumeSignal,
  rulePausesSignal,
  waitingCallsQuery,
  type PauseInput,
  type PauseKind,
} from '../contract/operations.js';
import { HuntOperation, HuntTarget, HuntWaitingOn } from '../contract/search-attributes.js';
import { ENTITY_WORKFLOW_TYPE } from '../contract/messages.js';
import { visibilityString } from '../live-map/live-counts.js';

/** A pause of something the configuration does not have. */
export class UnknownPauseTargetError extends EngineError {
  override readonly name = 'UnknownPauseTargetError';
  readonly code = 'OPERATION_TARGET_UNKNOWN';
}

/** One pause in effect. */
export interface Pause {
  kind: PauseKind;
  name: string;
  pausedAt: string;
  reason?: string;
}

/** Throws UnknownPauseTargetError unless the configuration has that connector or rule. */
export function checkPauseTarget(config: CompiledConfig, kind: PauseKind, name: string): void {
  const known = kind === 'connector' ? Object.keys(config.connectors) : config.rules.map((r) => r.id);
  if (known.includes(name)) return;
  const hint = didYouMean(name, known);
  throw new UnknownPauseTargetError(
    `no ${kind} "${name}" in configuration ${config.name}${hint ? `; did you mean "${hint}"?` : ''} (its ${kind}s: ${known.join(', ')})`,
  );
}

/** Pauses a connector or rule; `already` when it was paused before (nothing changes then). */
export async function pause(
  client: Client,
  taskQueue: string,
  kind: PauseKind,
  name: string,
  opts: { reason?: string; settle?: boolean } = {},
): Promise<{ already: boolean }> {
  const input: PauseInput = {
    kind,
    name,
    pausedAt: Date.now(),
    ...(opts.reason !== undefined && { reason: opts.reason }),
  };
  try {
    await client.workflow.start(PAUSE_WORKFLOW_TYPE, {
      workflowId: pauseWorkflowId(kind, name),
      taskQueue,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      typedSearchAttributes: [
        { key: HuntOperation, value: pauseOperation(kind) },
        { key: HuntTarget, value: name },
      ],
      memo: { kind, name, ...(opts.reason !== undefined && { reason: opts.reason }) },
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { already: true };
    throw err;
  }
  // Workers trust what they read about a connector for a second: after that, no call goes out.
  if (kind === 'connector' && opts.settle !== false) await sleep(PAUSE_CHECK_TTL_MS + 200);
  if (kind === 'rule') await tellEntities(client, name, true);
  return { already: false };
}

/**
 * Sends every running entity the paused rules (the whole set, with `ruleId` added or removed): a run reads the
 * records only when it starts. One signal per running entity. Returns how many were told.
 */
async function tellEntities(client: Client, ruleId: string, paused: boolean): Promise<number> {
  const set = new Set((await listPauses(client)).filter((p) => p.kind === 'rule').map((p) => p.name));
  if (paused) set.add(ruleId);
  else set.delete(ruleId);
  const query = `WorkflowType = ${visibilityString(ENTITY_WORKFLOW_TYPE)} AND ExecutionStatus = "Running"`;
  let told = 0;
  for await (const execution of client.workflow.list({ query })) {
    try {
      await client.workflow.getHandle(execution.workflowId).signal(rulePausesSignal, { paused: [...set].sort() });
      told++;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return told;
}

/** Whether a connector or rule is paused (its record is running). */
export async function isPaused(client: Client, kind: PauseKind, name: string): Promise<boolean> {
  try {
    const { status } = await client.workflow.getHandle(pauseWorkflowId(kind, name)).describe();
    return status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** Running entities whose calls wait on `connector` (from visibility). */
export async function waitingEntities(client: Client, connector: string): Promise<string[]> {
  const query = `${HuntWaitingOn.name} = ${visibilityString(connector)} AND ExecutionStatus = "Running"`;
  const ids: string[] = [];
  for await (const execution of client.workflow.list({ query })) ids.push(execution.workflowId);
  return ids.sort();
}

/** Calls waiting on `connector`, per waiting entity (each entity's `waitingCalls` query). */
export async function waitingCalls(client: Client, connector: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const workflowId of await waitingEntities(client, connector)) {
    try {
      const counts = await client.workflow.getHandle(workflowId).query(waitingCallsQuery);
      if ((counts[connector] ?? 0) > 0) out[workflowId] = counts[connector]!;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return out;
}

/**
 * Lifts a pause. For a connector, once workers no longer trust a cached "paused", every waiting entity is
 * signalled: its calls go out at once, in order. Returns how many entities were signalled.
 */
export async function resume(
  client: Client,
  kind: PauseKind,
  name: string,
  opts: { reason?: string } = {},
): Promise<{ wasPaused: boolean; signalled: number }> {
  if (!(await isPaused(client, kind, name))) return { wasPaused: false, signalled: 0 };
  await client.workflow
    .getHandle(pauseWorkflowId(kind, name))
    .signal(resumeSignal, opts.reason !== undefined ? { reason: opts.reason } : {});
  if (kind !== 'connector') return { wasPaused: true, signalled: await tellEntities(client, name, false) };
  await sleep(PAUSE_CHECK_TTL_MS + 200);
  let signalled = 0;
  for (const workflowId of await waitingEntities(client, name)) {
    try {
      await client.workflow.getHandle(workflowId).signal(connectorResumedSignal, { connector: name });
      signalled++;
    } catch (err) {
      // It finished meanwhile: nothing waits there any more.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return { wasPaused: true, signalled };
}

function pauseOf(execution: WorkflowExecutionInfo): Pause | undefined {
  const memo = (execution.memo ?? {}) as { kind?: unknown; name?: unknown; reason?: unknown };
  if ((memo.kind !== 'connector' && memo.kind !== 'rule') || typeof memo.name !== 'string') return undefined;
  return {
    kind: memo.kind,
    name: memo.name,
    pausedAt: execution.startTime.toISOString(),
    ...(typeof memo.reason === 'string' && { reason: memo.reason }),
  };
}

/** Every pause in effect, connectors first (from visibility). */
export async function listPauses(client: Client): Promise<Pause[]> {
  const query =
    `${HuntOperation.name} IN ("connector-pause", "rule-pause") AND ExecutionStatus = "Running" ` +
    `AND WorkflowType = ${visibilityString(PAUSE_WORKFLOW_TYPE)}`;
  const pauses: Pause[] = [];
  for await (const execution of client.workflow.list({ query })) {
    const p = pauseOf(execution);
    if (p) pauses.push(p);
  }
  return pauses.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}

/** What the live map and the metrics show: paused connectors with their waiting entities, paused rules. */
export interface PauseSnapshot {
  connectors: Record<string, { paused: boolean; waitingEntities: number }>;
  rules: string[];
}

/** Counts for the live map and `/metrics`: one visibility list and one count per connector. */
export async function pauseSnapshot(client: Client, config: CompiledConfig): Promise<PauseSnapshot> {
  const pauses = await listPauses(client);
  const paused = new Set(pauses.filter((p) => p.kind === 'connector').map((p) => p.name));
  const connectors: PauseSnapshot['connectors'] = {};
  for (const name of Object.keys(config.connectors)) {
    const query = `${HuntWaitingOn.name} = ${visibilityString(name)} AND ExecutionStatus = "Running"`;
    const waiting = Number((await client.workflow.count(query)).count);
    if (paused.has(name) || waiting > 0) connectors[name] = { paused: paused.has(name), waitingEntities: waiting };
  }
  return { connectors, rules: pauses.filter((p) => p.kind === 'rule').map((p) => p.name) };
}
