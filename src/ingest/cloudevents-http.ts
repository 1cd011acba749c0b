/**
 * CloudEvents 1.0 HTTP protocol binding: turns one request (content type, headers, raw body) into
 * candidate events — structured, binary or batch mode — without trusting any of them yet.
 */
import type { EventProblem, ProblemCode } from '../contract/problems.js';
import { isJsonMediaType } from '../config/event-validator.js';
import type { HeaderBag } from './source-authenticator.js';

export type ContentMode = 'structured' | 'binary' | 'batch';

export const STRUCTURED_MEDIA_TYPE = 'application/cloudevents+json';
export const BATCH_MEDIA_TYPE = 'application/cloudevents-batch+json';

/** A request-level refusal: nothing in it is an event we could take. */
export interface RequestRefusal {
  ok: false;
  status: 400 | 413 | 415;
  code: ProblemCode;
  title: string;
  problems: EventProblem[];
}

export interface ParsedRequest {
  ok: true;
  mode: ContentMode;
  /** Candidate events (unvalidated) in request order. */
  candidates: unknown[];
}

export interface ParseLimits {
  maxBatch: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses a POST /events request into candidate events, or says why the request as a whole is refused. */
export function parseCloudEventsRequest(
  headers: HeaderBag,
  rawBody: Buffer,
  limits: ParseLimits,
): ParsedRequest | RequestRefusal {
  const contentType = headerValue(headers, 'content-type');
  const media = contentType === undefined ? undefined : parseMediaType(contentType);
  const isBinary = headerValue(headers, 'ce-specversion') !== undefined;

  if (media && media.charset !== undefined && media.charset !== 'utf-8' && media.charset !== 'utf8') {
    return unsupported(`charset "${media.charset}" is not supported; send UTF-8`);
  }
  if (media?.essence === BATCH_MEDIA_TYPE) return parseBatch(rawBody, limits);
  if (media?.essence === STRUCTURED_MEDIA_TYPE || (media?.essence === 'application/json' && !isBinary)) {
    const body = parseJson(rawBody);
    if (!body.ok) return body;
    return { ok: true, mode: 'structured', candidates: [body.value] };
  }
  if (isBinary) return parseBinary(headers, rawBody, contentType);
  return unsupported(
    contentType === undefined
      ? 'the Content-Type header is missing'
      : `content type "${contentType}" is not a CloudEvents mode`,
  );
}

function parseBatch(rawBody: Buffer, limits: ParseLimits): ParsedRequest | RequestRefusal {
  const body = parseJson(rawBody);
  if (!body.ok) return body;
  if (!Array.isArray(body.value)) {
    return refuse(400, 'INVALID_BATCH', 'Invalid batch', [
      { pointer: '', detail: 'a batch must be a JSON array of events' },
    ]);
  }
  if (body.value.length === 0) {
    return refuse(400, 'INVALID_BATCH', 'Invalid batch', [{ pointer: '', detail: 'the batch is empty' }]);
  }
  if (body.value.length > limits.maxBatch) {
    return refuse(413, 'BATCH_TOO_LARGE', 'Batch too large', [
      { pointer: '', detail: `the batch holds ${body.value.length} events; at most ${limits.maxBatch} are allowed` },
    ]);
  }
  return { ok: true, mode: 'batch', candidates: body.value };
}

function parseBinary(
  headers: HeaderBag,
  rawBody: Buffer,
  contentType: string | undefined,
): ParsedRequest | RequestRefusal {
  const candidate: Record<string, unknown> = {};
  const problems: EventProblem[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('ce-') || value === undefined) continue;
    const raw = Array.isArray(value) ? value.join(',') : value;
    try {
      // The binding percent-encodes attribute values that are not printable ASCII.
      candidate[name.slice(3)] = decodeURIComponent(raw);
    } catch {
      problems.push({ pointer: '', header: name, detail: `header ${name} is not valid percent-encoding` });
    }
  }
  if (problems.length > 0) return refuse(400, 'INVALID_EVENT', 'Invalid event', problems);
  if (contentType !== undefined) candidate.datacontenttype = contentType;
  if (rawBody.length > 0) {
    if (contentType !== undefined && !isJsonMediaType(contentType)) {
      return unsupported(`binary-mode data of type "${contentType}" is not supported; events carry JSON data`);
    }
    const body = parseJson(rawBody);
    if (!body.ok) return body;
    candidate.data = body.value;
  }
  return { ok: true, mode: 'binary', candidates: [candidate] };
}

function parseJson(rawBody: Buffer): { ok: true; value: unknown } | RequestRefusal {
  let text: string;
  try {
    text = utf8.decode(rawBody);
  } catch {
    return refuse(400, 'MALFORMED_BODY', 'Malformed body', [{ pointer: '', detail: 'the body is not valid UTF-8' }]);
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return refuse(400, 'MALFORMED_BODY', 'Malformed body', [
      { pointer: '', detail: `the body is not valid JSON: ${why}` },
    ]);
  }
}

function parseMediaType(value: string): { essence: string; charset?: string } {
  const [essence = '', ...params] = value.split(';');
  const result: { essence: string; charset?: string } = { essence: essence.trim().toLowerCase() };
  for (const param of params) {
    const [key, paramValue] = param.split('=');
    if (key?.trim().toLowerCase() === 'charset' && paramValue !== undefined) {
      result.charset = paramValue.trim().replace(/^"|"$/g, '').toLowerCase();
    }
  }
  return result;
}

function headerValue(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function unsupported(detail: string): RequestRefusal {
  return refuse(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', [
    {
      pointer: '',
      header: 'content-type',
      detail: `${detail}; use ${STRUCTURED_MEDIA_TYPE}, ${BATCH_MEDIA_TYPE}, application/json, or binary mode (ce-* headers with JSON data)`,
    },
  ]);
}

function refuse(
  status: RequestRefusal['status'],
  code: ProblemCode,
  title: string,
  problems: EventProblem[],
): RequestRefusal {
  return { ok: false, status, code, title, problems };
}
