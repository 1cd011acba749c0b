/**
 * Maps a verified native request to a candidate CloudEvent with the source's CEL expressions (the
 * preset's defaults where the configuration gives none). The candidate then goes through the same
 * validator, routing and delivery as POST /events. Every expression that fails is reported at once.
 */
import { createHash } from 'node:crypto';
import type { CompiledWebhook, Json, WebhookMapping } from '../../config/compiled.js';
import type { EventProblem } from '../../client/event-rejected-error.js';
import { evaluateExpression, ExpressionError } from '../../rules/conditions.js';
import type { NativeRequest } from './native-request.js';
import type { PresetDefaults } from './webhook-preset.js';

export type MapOutcome =
  /** One candidate event, or one per item of the mapping's `each` list (possibly none). */
  | { kind: 'events'; nativeType: string; candidates: Array<Record<string, Json>>; each: boolean }
  | { kind: 'unmapped'; nativeType: string; reason: string }
  | { kind: 'failed'; nativeType?: string; problems: EventProblem[] };

/** The variables a webhook expression sees. */
export const WEBHOOK_VARIABLES = ['headers', 'body', 'query', 'digest'] as const;

/** The source's expressions with the preset's defaults filled in. */
export interface ResolvedMapping {
  id: string;
  type: string;
  time?: string;
  subject?: string;
}

/** Resolves the expressions a source uses: its own, else its preset's. */
export function resolveMapping(webhook: CompiledWebhook, defaults: PresetDefaults): ResolvedMapping {
  const time = webhook.time ?? defaults.time;
  const subject = webhook.subject ?? defaults.subject;
  return {
    id: webhook.id ?? defaults.id,
    type: webhook.type ?? defaults.type,
    ...(time ? { time } : {}),
    ...(subject ? { subject } : {}),
  };
}

/** The mapping for a native type: the key equal to it, else the longest key it continues with `.` or `/`. */
export function mappingFor(
  events: Record<string, WebhookMapping>,
  nativeType: string,
): [string, WebhookMapping] | undefined {
  let best: [string, WebhookMapping] | undefined;
  for (const [key, mapping] of Object.entries(events)) {
    const matches = key === nativeType || (nativeType.startsWith(key) && /[./]/.test(nativeType[key.length] ?? ''));
    if (matches && (!best || key.length > best[0].length)) best = [key, mapping];
  }
  return best;
}

/** Maps one verified request of `source` to a candidate event, or says why not. */
export function mapNativeRequest(
  source: string,
  webhook: CompiledWebhook,
  resolved: ResolvedMapping,
  request: NativeRequest,
  body: Json,
): MapOutcome {
  const scope: Record<string, Json> = {
    headers: request.headers,
    query: request.query,
    body,
    digest: createHash('sha256').update(request.raw).digest('hex'),
  };
  const problems: EventProblem[] = [];
  const evaluate = (what: string, expression: string, variables: Record<string, Json> = scope): Json | undefined => {
    try {
      return evaluateExpression(expression, variables);
    } catch (err) {
      const why = err instanceof ExpressionError ? err.message : String(err);
      problems.push({ pointer: '', detail: `webhook ${what} "${expression}": ${why}` });
      return undefined;
    }
  };
  const text = (
    what: string,
    expression: string,
    required: boolean,
    variables: Record<string, Json> = scope,
  ): string | undefined => {
    const value = evaluate(what, expression, variables);
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    if (value !== undefined && (required || value !== null)) {
      problems.push({
        pointer: '',
        detail: `webhook ${what} "${expression}" gave ${JSON.stringify(value)}; it must be a non-empty string`,
      });
    }
    return undefined;
  };

  const nativeType = text('type', resolved.type, true);
  if (nativeType === undefined) return { kind: 'failed', problems };
  const found = mappingFor(webhook.events, nativeType);
  if (!found) {
    return { kind: 'unmapped', nativeType, reason: `native type "${nativeType}" is not mapped under webhook.events` };
  }
  const [key, mapping] = found;
  if (mapping.if !== undefined) {
    const holds = evaluate(`events["${key}"].if`, mapping.if);
    if (holds === false) {
      return { kind: 'unmapped', nativeType, reason: `events["${key}"].if "${mapping.if}" is false for this request` };
    }
    if (holds !== undefined && holds !== true) {
      problems.push({ pointer: '', detail: `events["${key}"].if "${mapping.if}" must be true or false` });
    }
  }
  const id = text('id', resolved.id, true);
  const subjectExpression = mapping.subject ?? resolved.subject;
  const timeValue = resolved.time ? evaluate('time', resolved.time) : undefined;
  const time = timeValue === undefined || timeValue === null ? undefined : toRfc3339(timeValue);
  if (timeValue !== undefined && timeValue !== null && time === undefined) {
    problems.push({
      pointer: '',
      detail: `webhook time "${resolved.time}" gave ${JSON.stringify(timeValue)}; give RFC 3339 text or Unix seconds`,
    });
  }
  // `each`: one event per list item; `data` and `subject` read the item. Without it, the request is the one item.
  let items: Array<Record<string, Json>> = [scope];
  if (mapping.each !== undefined) {
    const list = evaluate(`events["${key}"].each`, mapping.each);
    if (Array.isArray(list)) items = list.map((item, index) => ({ ...scope, item, index }));
    else if (list !== undefined) {
      problems.push({
        pointer: '',
        detail: `events["${key}"].each "${mapping.each}" gave ${JSON.stringify(list)?.slice(0, 80)}; it must be a list`,
      });
    }
  }
  const candidates = items.map((variables, index) => {
    const where = mapping.each === undefined ? '' : ` (item ${index})`;
    const subject = subjectExpression ? text(`subject${where}`, subjectExpression, false, variables) : undefined;
    const data =
      mapping.data === undefined
        ? mapping.each === undefined
          ? body
          : (variables.item ?? null)
        : evaluate(`events["${key}"].data${where}`, mapping.data, variables);
    const candidate: Record<string, Json> = {
      specversion: '1.0',
      // The item's position keeps each event's id stable across redeliveries of the same request.
      id: mapping.each === undefined ? (id ?? '') : `${id ?? ''}#${index}`,
      source,
      type: mapping.event,
      data: data ?? null,
    };
    if (subject !== undefined) candidate.subject = subject;
    if (time !== undefined) candidate.time = time;
    return candidate;
  });
  if (problems.length > 0 || id === undefined) {
    if (id === undefined && problems.length === 0) problems.push({ pointer: '', detail: 'the event id is empty' });
    return { kind: 'failed', nativeType, problems };
  }
  return { kind: 'events', nativeType, candidates, each: mapping.each !== undefined };
}

/** RFC 3339 text from what senders send: RFC 3339 / ISO text as is, Unix seconds (number or digits) converted. */
function toRfc3339(value: Json): string | undefined {
  const seconds =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d+(\.\d+)?$/.test(value)
        ? Number(value)
        : undefined;
  if (seconds !== undefined) {
    const date = new Date(seconds * 1000);
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  }
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return value;
  return undefined;
}
