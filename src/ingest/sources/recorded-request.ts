/**
 * Recorded native requests: one JSON object per line, `{ source, at, headers, query?, body }` (or
 * `bodyBase64` for bytes that are not UTF-8) — what the ingest writes with `HUNT_RECORD_REQUESTS` and
 * what a team pastes from a vendor's dashboard (the delivery's headers and payload). `hunt simulate` and
 * `hunt diff` run them through the same parsing, handshakes and mapping as POST /sources/<name>, so a
 * mapping is tested offline on real payloads. Signatures are not checked offline: a captured signature
 * is stale by then, and the secret need not be on the machine.
 */
import { z } from 'zod';
import type { CompiledConfig, Json } from '../../config/compiled.js';
import type { EventProblem } from '../../client/event-rejected-error.js';
import { WEBHOOK_PRESETS } from './presets.js';
import type { NativeRequest } from './native-request.js';
import { parseNativeBody } from './native-request.js';
import { mapNativeRequest, resolveMapping } from './webhook-mapper.js';

const recordSchema = z
  .object({
    source: z.string().min(1),
    at: z.union([z.string().min(1), z.number()]).optional(),
    headers: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
    query: z.record(z.string(), z.string()).optional(),
    body: z.string().optional(),
    bodyBase64: z.string().optional(),
  })
  .refine((r) => r.body === undefined || r.bodyBase64 === undefined, {
    message: 'give `body` or `bodyBase64`, not both',
  });

/** One recorded request, as written one per line. */
export type RecordedRequest = z.infer<typeof recordSchema>;

/** The line the ingest writes for a verified request to POST /sources/<source>. */
export function recordOf(source: string, request: NativeRequest, at: number): RecordedRequest {
  const text = request.raw.toString('utf8');
  const exact = Buffer.from(text, 'utf8').equals(request.raw);
  return {
    source,
    at: new Date(at).toISOString(),
    headers: request.headers,
    ...(Object.keys(request.query).length > 0 ? { query: request.query } : {}),
    ...(exact ? { body: text } : { bodyBase64: request.raw.toString('base64') }),
  };
}

/** A recorded request that could not be read: where (file:line) and why. */
export class RecordedRequestError extends Error {
  override readonly name = 'RecordedRequestError';
  readonly code = 'RECORDED_REQUEST_INVALID';
}

/** Parses a JSONL file of recorded requests; throws RecordedRequestError naming the line. */
export function parseRecordedRequests(text: string, file: string): Array<{ line: number; record: RecordedRequest }> {
  const records: Array<{ line: number; record: RecordedRequest }> = [];
  text.split('\n').forEach((lineText, i) => {
    if (lineText.trim() === '') return;
    const where = `${file}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(lineText);
    } catch (err) {
      throw new RecordedRequestError(
        `${where}: not JSON (${err instanceof Error ? err.message : String(err)}); write one request per line`,
      );
    }
    const parsed = recordSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      throw new RecordedRequestError(
        `${where}: ${path}${issue?.message ?? 'invalid'}; a recorded request is { source, at?, headers, query?, body }`,
      );
    }
    records.push({ line: i + 1, record: parsed.data });
  });
  return records;
}

/** What one recorded request became under a configuration. */
export type RecordedOutcome =
  | { line: number; kind: 'events'; events: Array<Record<string, Json>> }
  | { line: number; kind: 'answered' | 'ignored'; reason: string }
  | { line: number; kind: 'failed'; problems: EventProblem[] };

/** Runs recorded requests through a configuration's webhook sources: the candidate events, in order. */
export function mapRecordedRequests(
  config: CompiledConfig,
  records: Array<{ line: number; record: RecordedRequest }>,
): RecordedOutcome[] {
  return records.map(({ line, record }) => {
    const source = config.sources[record.source];
    const webhook = source?.webhook;
    if (!webhook) {
      const takes = Object.values(config.sources)
        .filter((s) => s.webhook)
        .map((s) => s.name);
      return {
        line,
        kind: 'failed',
        problems: [
          {
            pointer: '/source',
            detail: `no source "${record.source}" takes native webhooks in this configuration (${takes.join(', ') || 'none does'})`,
          },
        ],
      };
    }
    const preset = WEBHOOK_PRESETS[webhook.preset];
    const headers = Object.fromEntries(
      Object.entries(record.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(', ') : v]),
    );
    const raw =
      record.bodyBase64 !== undefined ? Buffer.from(record.bodyBase64, 'base64') : Buffer.from(record.body ?? '');
    const native: NativeRequest = {
      headers,
      query: record.query ?? {},
      raw,
      url: `http://recorded/sources/${record.source}`,
    };
    const parsed = parseNativeBody(native);
    if (!parsed.ok) return { line, kind: 'failed', problems: [{ pointer: '', detail: parsed.detail }] };
    const answer = preset.answer?.(native, parsed.body);
    if (answer) return { line, kind: 'answered', reason: answer.reason };
    const mapped = mapNativeRequest(
      record.source,
      webhook,
      resolveMapping(webhook, preset.defaults),
      native,
      parsed.body,
    );
    if (mapped.kind === 'failed') return { line, kind: 'failed', problems: mapped.problems };
    if (mapped.kind === 'unmapped') {
      return webhook.unmapped === 'reject'
        ? { line, kind: 'failed', problems: [{ pointer: '', detail: `${mapped.reason}; the source rejects it` }] }
        : { line, kind: 'ignored', reason: mapped.reason };
    }
    if (mapped.candidates.length === 0) return { line, kind: 'ignored', reason: 'the mapping’s each gave no items' };
    const at = record.at;
    return {
      line,
      kind: 'events',
      events: at === undefined ? mapped.candidates : mapped.candidates.map((c) => ({ ...c, at })),
    };
  });
}
