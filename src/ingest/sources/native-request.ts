/**
 * A native webhook request as the presets and mappings see it: lower-case headers, the query, the raw
 * bytes (what senders sign) and the body parsed by its content type — JSON, form-encoded (Twilio,
 * Slack slash commands) or text.
 */
import type { FastifyRequest } from 'fastify';
import type { Json } from '../../config/compiled.js';
import { isJsonMediaType } from '../../config/event-validator.js';

export interface NativeRequest {
  /** Header name (lower case) → value; a repeated header's values are joined with ", ". */
  headers: Record<string, string>;
  /** Query parameter → value (the first, when repeated). */
  query: Record<string, string>;
  /** The body exactly as received: signatures are computed over these bytes. */
  raw: Buffer;
  /** The URL the sender addressed, as far as the request tells (scheme and host from forwarding headers). */
  url: string;
}

export type ParsedBody = { ok: true; body: Json } | { ok: false; status: 400 | 415; detail: string };

const FORM = 'application/x-www-form-urlencoded';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads a Fastify request (body kept as a Buffer by the server's parser) into a NativeRequest. */
export function nativeRequestOf(request: FastifyRequest): NativeRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  const query: Record<string, string> = {};
  const search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
  for (const [key, value] of new URLSearchParams(search)) if (!(key in query)) query[key] = value;
  const proto = firstOf(headers['x-forwarded-proto']) ?? request.protocol;
  const host = firstOf(headers['x-forwarded-host']) ?? headers.host ?? request.hostname;
  return {
    headers,
    query,
    raw: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
    url: `${proto}://${host}${request.url}`,
  };
}

/** Parses the body by its content type: JSON (and `+json`), form-encoded fields, text, or null when empty. */
export function parseNativeBody(request: NativeRequest): ParsedBody {
  if (request.raw.length === 0) return { ok: true, body: null };
  const contentType = request.headers['content-type'];
  const essence = contentType?.split(';')[0]?.trim().toLowerCase();
  let text: string;
  try {
    text = utf8.decode(request.raw);
  } catch {
    return { ok: false, status: 400, detail: 'the body is not valid UTF-8' };
  }
  if (essence === undefined || isJsonMediaType(essence)) {
    try {
      return { ok: true, body: JSON.parse(text) as Json };
    } catch (err) {
      return {
        ok: false,
        status: 400,
        detail: `the body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  }
  if (essence === FORM) return { ok: true, body: formFields(text) };
  if (essence.startsWith('text/')) return { ok: true, body: text };
  return {
    ok: false,
    status: 415,
    detail: `content type "${contentType}" is not taken here: send JSON, ${FORM} or text`,
  };
}

/** Form fields as an object: a field sent once is a string, one sent several times a list of strings. */
export function formFields(text: string): Record<string, Json> {
  const fields: Record<string, Json> = Object.create(null) as Record<string, Json>;
  for (const [key, value] of new URLSearchParams(text)) {
    const seen = fields[key];
    if (seen === undefined) fields[key] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else fields[key] = [seen, value];
  }
  return { ...fields };
}

function firstOf(value: string | undefined): string | undefined {
  return value?.split(',')[0]?.trim() || undefined;
}
