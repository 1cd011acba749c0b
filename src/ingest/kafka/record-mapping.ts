/**
 * How one Kafka record becomes a candidate CloudEvent, by the source's preset and CEL expressions.
 * The candidate then goes through the same validator, routing and delivery as POST /events. A record
 * that cannot be read or mapped is a poison record: the reason comes back instead of an event, and the
 * consumer dead-letters it without stopping the partition.
 *
 * Presets:
 * - `json`: the value is JSON; it is the event `data` unless `data` says otherwise.
 * - `cloudevents`: the CloudEvents Kafka protocol binding. Structured mode (`content-type:
 *   application/cloudevents+json`): the value is the whole event. Binary mode: attributes in `ce_*`
 *   headers, the value is the data (JSON when its content type is JSON or absent, else text).
 *
 * Defaults: the id is the CloudEvent's id, else `<topic>/<partition>/<offset>` (so a record replayed
 * after a crash is a duplicate in its entity); the time is the CloudEvent's, else the record's timestamp.
 * The event's `source` is always the configured source name, as for every other source.
 */
import type { CompiledKafkaSource, Json } from '../../config/compiled.js';
import { evaluateExpression, ExpressionError } from '../../rules/conditions.js';

/** The variables a Kafka source's expressions see. */
export const KAFKA_VARIABLES = ['key', 'headers', 'value', 'topic', 'partition', 'offset', 'timestamp'] as const;

type HeaderValue = Buffer | string | Array<Buffer | string> | undefined;

/** The parts of a record the mapping reads (kafkajs' message plus where it came from). */
export interface KafkaRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, HeaderValue>;
  /** Milliseconds since the epoch, as text (kafkajs). */
  timestamp: string;
}

export type RecordOutcome = { kind: 'event'; candidate: Record<string, Json> } | { kind: 'poison'; reason: string };

const CLOUDEVENT_ATTRIBUTES = ['id', 'type', 'source', 'specversion', 'time', 'subject', 'datacontenttype'];

/** Maps one record of `source` (the configured source name) to a candidate event, or says why it is poison. */
export function mapKafkaRecord(source: string, kafka: CompiledKafkaSource, record: KafkaRecord): RecordOutcome {
  const headers = textHeaders(record.headers);
  const key = record.key === null ? null : record.key.toString();
  let value: Json;
  let attributes: Record<string, Json> = {};
  if (kafka.preset === 'cloudevents') {
    const read = readCloudEvent(headers, record.value);
    if ('reason' in read) return { kind: 'poison', reason: read.reason };
    ({ value, attributes } = read);
  } else {
    const parsed = parseJson(record.value, 'the value');
    if ('reason' in parsed) return { kind: 'poison', reason: parsed.reason };
    value = parsed.json;
  }
  const scope: Record<string, Json> = {
    key,
    headers,
    value,
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: Number(record.timestamp),
  };
  const problems: string[] = [];
  const evaluate = (what: string, expression: string): Json | undefined => {
    try {
      return evaluateExpression(expression, scope);
    } catch (err) {
      problems.push(`kafka ${what} "${expression}": ${err instanceof ExpressionError ? err.message : String(err)}`);
      return undefined;
    }
  };
  const text = (what: string, expression: string | undefined, fallback: Json | undefined): string | undefined => {
    const result = expression === undefined ? fallback : evaluate(what, expression);
    if (typeof result === 'string' && result !== '') return result;
    if (typeof result === 'number' && Number.isFinite(result)) return String(result);
    if (result !== undefined && result !== null)
      problems.push(`kafka ${what} gave ${JSON.stringify(result)}; it must be a non-empty string`);
    return undefined;
  };

  const type = kafka.event ?? text('type', kafka.type, attributes.type);
  const id = text('id', kafka.id, attributes.id ?? `${record.topic}/${record.partition}/${record.offset}`);
  const subject = text('subject', kafka.subject, attributes.subject);
  const timeValue = kafka.time === undefined ? (attributes.time ?? scope.timestamp) : evaluate('time', kafka.time);
  const time =
    timeValue === undefined || timeValue === null
      ? undefined
      : toRfc3339(timeValue, kafka.time === undefined && attributes.time === undefined);
  if (timeValue !== undefined && timeValue !== null && time === undefined)
    problems.push(`kafka time gave ${JSON.stringify(timeValue)}; give RFC 3339 text or Unix seconds`);
  const data = kafka.data === undefined ? value : evaluate('data', kafka.data);
  if (type === undefined && problems.length === 0) problems.push('the record names no event type');
  if (problems.length > 0 || type === undefined || id === undefined) {
    return { kind: 'poison', reason: problems.join('; ') || 'the event id is empty' };
  }
  const candidate: Record<string, Json> = { specversion: '1.0', id, source, type, data: data ?? null };
  if (subject !== undefined) candidate.subject = subject;
  if (time !== undefined) candidate.time = time;
  return { kind: 'event', candidate };
}

/** Header values as text (the first of a repeated header), names lower-cased as in HTTP. */
function textHeaders(headers: KafkaRecord['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const first = Array.isArray(raw) ? raw[0] : raw;
    if (first !== undefined) out[name.toLowerCase()] = first.toString();
  }
  return out;
}

function parseJson(bytes: Buffer | string | null, what: string): { json: Json } | { reason: string } {
  if (bytes === null) return { reason: `${what} is empty (a tombstone record)` };
  try {
    return { json: JSON.parse(bytes.toString()) as Json };
  } catch (err) {
    return { reason: `${what} is not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Reads a record in the CloudEvents Kafka binding: the data (`value`) and the context attributes. */
function readCloudEvent(
  headers: Record<string, string>,
  bytes: Buffer | string | null,
): { value: Json; attributes: Record<string, Json> } | { reason: string } {
  const contentType = headers['content-type'] ?? headers['ce_datacontenttype'];
  if (contentType?.startsWith('application/cloudevents')) {
    const parsed = parseJson(bytes, 'the structured CloudEvent');
    if ('reason' in parsed) return parsed;
    const event = parsed.json;
    if (event === null || typeof event !== 'object' || Array.isArray(event))
      return { reason: 'the structured CloudEvent is not a JSON object' };
    if (event.specversion !== '1.0') return { reason: 'the structured CloudEvent has no "specversion": "1.0"' };
    let value: Json = event.data ?? null;
    if (event.data === undefined && typeof event.data_base64 === 'string') {
      const decoded = parseJson(Buffer.from(event.data_base64, 'base64'), 'data_base64');
      value = 'reason' in decoded ? Buffer.from(event.data_base64, 'base64').toString() : decoded.json;
    }
    return { value, attributes: pick(event, CLOUDEVENT_ATTRIBUTES) };
  }
  if (headers['ce_specversion'] === undefined)
    return { reason: 'not a CloudEvent: no ce_specversion header and no application/cloudevents+json content type' };
  if (headers['ce_specversion'] !== '1.0')
    return { reason: `ce_specversion "${headers['ce_specversion']}" is not 1.0` };
  const attributes: Record<string, Json> = {};
  for (const name of CLOUDEVENT_ATTRIBUTES) {
    const header = headers[`ce_${name}`];
    if (header !== undefined) attributes[name] = header;
  }
  const jsonData = contentType === undefined || /[/+]json(;|$)/.test(contentType);
  if (!jsonData) return { value: bytes === null ? null : bytes.toString(), attributes };
  if (bytes === null) return { value: null, attributes };
  const parsed = parseJson(bytes, 'the CloudEvent data');
  return 'reason' in parsed ? parsed : { value: parsed.json, attributes };
}

function pick(object: Record<string, Json>, names: string[]): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const name of names) if (object[name] !== undefined) out[name] = object[name];
  return out;
}

/** RFC 3339 text: text as is; a number is Unix seconds, or milliseconds when `millis` (the record timestamp). */
function toRfc3339(value: Json, millis: boolean): string | undefined {
  if (typeof value === 'string' && !/^\d+(\.\d+)?$/.test(value)) return value;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < 0) return undefined;
  const date = new Date(millis ? n : n * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
