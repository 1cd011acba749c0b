/**
 * Generated malformed and hostile requests to POST /events (fast-check), for the bad-input-at-volume
 * scenario: broken JSON and bytes, wrong media types and charsets, scrambled CloudEvents attributes,
 * prototype-pollution keys, deep nesting, oversized batches and bodies, and binary-mode header junk.
 * Events here never name a valid (source, type, data) combination, so none of them can be accepted.
 */
import fc from 'fast-check';

export interface HostileRequest {
  path: string;
  headers: Record<string, string>;
  body: string | Uint8Array;
  /** What kind of garbage, for the tally. */
  kind: string;
}

const headerText = fc.stringMatching(/^[\x20-\x7e]{0,60}$/);

/** A scanned event with one attribute replaced by arbitrary JSON (or removed), and `data` never valid. */
const scrambledEvent = fc
  .record({
    field: fc.constantFrom('id', 'source', 'type', 'specversion', 'time', 'subject', 'dataschema', '__proto__', 'data'),
    value: fc.jsonValue({ maxDepth: 3 }),
    teamId: fc.oneof(fc.constant(''), fc.integer(), fc.constant(null), fc.constant({ $gt: '' })),
  })
  .map(({ field, value, teamId }) => {
    const event: Record<string, unknown> = {
      specversion: '1.0',
      id: 'hostile',
      source: 'chaos',
      type: 'scanned',
      // Invalid on purpose: teamId empty / not a string, n missing.
      data: { teamId },
    };
    event[field] = value;
    return event;
  });

const deepNesting = fc.integer({ min: 100, max: 5_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`);
const protoPollution = fc.constantFrom(
  '{"__proto__":{"polluted":true},"specversion":"1.0","id":"p","source":"chaos","type":"scanned","data":{"__proto__":{"teamId":"x","n":1}}}',
  '{"constructor":{"prototype":{"polluted":true}},"specversion":"1.0","id":"p","source":"chaos","type":"scanned","data":{}}',
  '[{"__proto__":[]},{"constructor":null}]',
);

const structuredBody = fc.oneof(
  scrambledEvent.map((e) => ({ kind: 'scrambled-event', body: JSON.stringify(e) })),
  fc.jsonValue({ maxDepth: 4 }).map((v) => ({ kind: 'json-value', body: JSON.stringify(v) ?? 'null' })),
  fc.string({ maxLength: 200 }).map((s) => ({ kind: 'text', body: s })),
  fc.uint8Array({ maxLength: 400 }).map((bytes) => ({ kind: 'bytes', body: bytes })),
  deepNesting.map((body) => ({ kind: 'deep-nesting', body })),
  protoPollution.map((body) => ({ kind: 'proto-pollution', body })),
);

const structured = fc
  .record({
    body: structuredBody,
    contentType: fc.constantFrom(
      'application/cloudevents+json',
      'application/json',
      'application/cloudevents+json; charset=utf-8',
      'application/json; charset=latin1',
    ),
  })
  .map(({ body, contentType }) => ({
    path: '/events',
    headers: { 'content-type': contentType },
    body: body.body,
    kind: body.kind,
  }));

const batch = fc
  .oneof(
    fc.array(scrambledEvent, { maxLength: 20 }).map((events) => ({ kind: 'batch', body: JSON.stringify(events) })),
    fc
      .integer({ min: 101, max: 400 })
      .map((n) => ({ kind: 'batch-too-long', body: JSON.stringify(Array(n).fill({})) })),
    fc.jsonValue({ maxDepth: 2 }).map((v) => ({ kind: 'batch-not-array', body: JSON.stringify(v) ?? 'null' })),
  )
  .map(({ kind, body }) => ({
    path: '/events',
    headers: { 'content-type': 'application/cloudevents-batch+json' },
    body,
    kind,
  }));

const binary = fc
  .record({
    headers: fc.dictionary(
      fc.constantFrom('ce-id', 'ce-source', 'ce-type', 'ce-time', 'ce-subject', 'ce-dataschema', 'ce-specversion'),
      headerText,
      { maxKeys: 7 },
    ),
    body: fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? ''),
    ),
    contentType: fc.oneof(fc.constantFrom('application/json', 'text/plain', 'application/octet-stream'), headerText),
  })
  .map(({ headers, body, contentType }) => ({
    path: '/events',
    // Binary mode needs ce-specversion; keep whatever junk the other attributes hold, but never a valid event.
    headers: {
      'ce-specversion': headers['ce-specversion'] ?? '1.0',
      ...headers,
      'ce-type': 'scanned',
      'content-type': contentType,
    },
    body: body.replace(/"teamId"/g, '"team"'),
    kind: 'binary',
  }));

const oddRequest = fc
  .record({
    query: fc.constantFrom('?wait=true', '?wait=%ZZ', '?x=' + 'a'.repeat(2_000), '?__proto__[x]=1'),
    contentType: fc.oneof(
      headerText,
      fc.constantFrom('multipart/form-data; boundary=x', 'application/x-www-form-urlencoded'),
    ),
    body: fc.string({ maxLength: 100 }),
  })
  .map(({ query, contentType, body }): HostileRequest => ({
    path: `/events${query}`,
    headers: contentType === '' ? {} : { 'content-type': contentType },
    body,
    kind: 'odd-request',
  }));

/** Every kind of hostile request, weighted toward the deeper checks. */
export const hostileRequest: fc.Arbitrary<HostileRequest> = fc.oneof(
  { weight: 4, arbitrary: structured },
  { weight: 2, arbitrary: batch },
  { weight: 2, arbitrary: binary },
  { weight: 1, arbitrary: oddRequest },
);

/** A body over the ingest limit (1 MiB by default): answered 413 without being parsed. */
export function oversizedRequest(bytes = 1_100_000): HostileRequest {
  return {
    path: '/events',
    headers: { 'content-type': 'application/cloudevents+json' },
    body: `{"data":"${'x'.repeat(bytes)}"}`,
    kind: 'oversized',
  };
}
