/**
 * A call's outcome as an event of the calling entity (issue 22). A `call` with `result` is recorded in the
 * entity's own log as `<connector>.responded` / `<connector>.failed` (or the types the action names), folded by
 * that type's reducers and seen by rules like any event — so state still changes only through events, and
 * `explain`, `simulate` and `hunt diff` see it. The same builders run in the workflow and in the simulator.
 *
 * Bounds: the body is what the connector records (`record.bodyBytes`, default 2048 bytes), parsed as JSON when it
 * is complete and parses, else kept as text (`bodyTruncated` says when it was cut); headers are only the
 * connector's `record.headers`. The event's id is the action's idempotency key plus `:responded` / `:failed`, so
 * a retried, replayed or carried action records it once (the entity dedupes by id).
 */
import type { CallResultTypes, CompiledAction, Json, JsonObject } from '../config/compiled.js';
import type { EngineEvent, PlannedAction } from './types.js';

/** What a connector answered (the activity's result; TypeScript connectors return the same shape). */
export interface CallResponse {
  status: number;
  headers: Record<string, string>;
  /** The recorded (bounded) body; absent when the connector records none. */
  body?: string;
  /** A TypeScript connector's return value, already JSON (bounded by the activity). */
  value?: Json;
  bodyTruncated: boolean;
  durationMs: number;
  attempt: number;
}

/** Why a call failed for good: what the dead letter says, and the HTTP status/body when there was an answer. */
export interface CallFailureInfo {
  type: string;
  message: string;
  attempts: number;
  status?: number;
  body?: string;
}

/** The outcomes of the calls performed so far in one firing, as later actions read them. */
export interface CallResults {
  /** Data of the latest result event: `{{ result.body.id }}`. */
  latest: JsonObject;
  /** Data of the latest result event per connector: `{{ results.payouts.body.id }}`. */
  byConnector: Record<string, JsonObject>;
}

type CallAction = Extract<CompiledAction, { kind: 'call' }>;

/** The source recorded on result events: the connector, so `explain` and exports say where the answer came from. */
export function resultSource(connector: string): string {
  return `connector:${connector}`;
}

/** A recorded body as data: parsed JSON when complete and valid, else the text itself. */
export function parsedBody(body: string | undefined, truncated: boolean): Json {
  if (body === undefined || body === '') return null;
  if (truncated) return body;
  try {
    return JSON.parse(body) as Json;
  } catch {
    return body;
  }
}

/** The data of a responded event: status, chosen headers, the bounded body. */
export function respondedData(connector: string, response: CallResponse): JsonObject {
  return {
    connector,
    ok: true,
    status: response.status,
    headers: response.headers,
    body: response.value !== undefined ? response.value : parsedBody(response.body, response.bodyTruncated),
    bodyTruncated: response.bodyTruncated,
    durationMs: response.durationMs,
    attempt: response.attempt,
  };
}

/** The data of a failed event: the failure's type and message, attempts, and the answer when there was one. */
export function failedData(connector: string, failure: CallFailureInfo): JsonObject {
  return {
    connector,
    ok: false,
    error: { type: failure.type, message: failure.message },
    attempts: failure.attempts,
    ...(failure.status !== undefined && { status: failure.status }),
    ...(failure.body !== undefined && { body: parsedBody(failure.body, false) }),
  };
}

function resultEvent(
  planned: PlannedAction,
  type: string,
  outcome: 'responded' | 'failed',
  data: JsonObject,
  at: number,
) {
  const event: EngineEvent = {
    id: `${planned.idempotencyKey}:${outcome}`,
    source: resultSource((planned.action as CallAction).connector),
    type,
    specversion: '1.0',
    time: new Date(at).toISOString(),
    data: { ...data, ruleId: planned.ruleId, eventId: planned.eventId },
  };
  return event;
}

/** The event recording a successful call, or undefined when the action records none. */
export function respondedEvent(planned: PlannedAction, response: CallResponse, at: number): EngineEvent | undefined {
  const action = planned.action;
  if (action.kind !== 'call' || action.result?.responded === undefined) return undefined;
  return resultEvent(planned, action.result.responded, 'responded', respondedData(action.connector, response), at);
}

/** The event recording a call that failed for good, or undefined when the action records none. */
export function failedEvent(planned: PlannedAction, failure: CallFailureInfo, at: number): EngineEvent | undefined {
  const action = planned.action;
  if (action.kind !== 'call' || action.result?.failed === undefined) return undefined;
  return resultEvent(planned, action.result.failed, 'failed', failedData(action.connector, failure), at);
}

/** Whether an action records its outcome as an event (so the rule's later actions wait to read it). */
export function recordsResult(action: CompiledAction): action is CallAction & { result: CallResultTypes } {
  return action.kind === 'call' && action.result !== undefined;
}

/** Adds one call's result data to what a firing's later actions read. */
export function withResult(results: CallResults | undefined, connector: string, data: JsonObject): CallResults {
  return { latest: data, byConnector: { ...(results?.byConnector ?? {}), [connector]: data } };
}

/** The template scope entries for later actions: `result` and `results`. */
export function resultScope(results: CallResults | undefined): { result: Json; results: Json } {
  return { result: results?.latest ?? null, results: results?.byConnector ?? {} };
}
