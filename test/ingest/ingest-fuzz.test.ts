/**
 * Property test: garbage thrown at POST /events (bodies, headers, encodings) never yields a 5xx other
 * than 503-with-Retry-After, and never crashes the server. Isolated (fake deliverer).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SCANNER_KEY, hubSignature, scan, testServer, webhookHeaders } from './ingest-fixture.js';

const headerText = fc.stringMatching(/^[\x20-\x7e]{0,40}$/);
const contentType = fc.oneof(
  fc.constantFrom(
    'application/cloudevents+json',
    'application/cloudevents-batch+json',
    'application/json',
    'application/json; charset=utf-16',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
  ),
  headerText,
);
const jsonish = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string(),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  // Near-valid events with one field scrambled: exercise the deeper checks.
  fc
    .record({
      field: fc.constantFrom(
        'id',
        'source',
        'type',
        'specversion',
        'time',
        'data',
        'subject',
        'datacontenttype',
        'dataschema',
        'data_base64',
        '__proto__',
        'Bad-Name',
      ),
      value: fc.jsonValue(),
      source: fc.constantFrom('scanners', 'simulator', 'payments', 'game', 'nobody'),
    })
    .map(({ field, value, source }) => JSON.stringify({ ...scan({ source }), [field]: value })),
  fc.array(fc.jsonValue(), { maxLength: 5 }).map((v) => JSON.stringify(v)),
);
const extraHeaders = fc.dictionary(
  fc.constantFrom(
    'ce-specversion',
    'ce-id',
    'ce-source',
    'ce-type',
    'ce-time',
    'ce-subject',
    'prefer',
    'x-api-key',
    'webhook-id',
    'webhook-timestamp',
    'webhook-signature',
    'x-hub-signature-256',
    'content-encoding',
  ),
  headerText,
  { maxKeys: 6 },
);

describe('POST /events under garbage', () => {
  it('never answers a 5xx other than 503 with Retry-After', async () => {
    const { app, delivery } = testServer();
    await fc.assert(
      fc.asyncProperty(
        contentType,
        jsonish,
        extraHeaders,
        fc.boolean(),
        fc.constantFrom('', '?wait=true', '?wait=%ZZ', '?wait=true&wait=false'),
        fc.constantFrom('none', 'apiKey', 'webhook', 'hub'),
        async (type, body, headers, unavailable, query, signing) => {
          delivery.unavailable = unavailable;
          const signed =
            signing === 'apiKey'
              ? { 'x-api-key': SCANNER_KEY }
              : signing === 'webhook'
                ? webhookHeaders(body.toString())
                : signing === 'hub'
                  ? hubSignature(body)
                  : {};
          const res = await app.inject({
            method: 'POST',
            url: `/events${query}`,
            headers: { ...headers, ...signed, 'content-type': type },
            payload: body,
          });
          if (res.statusCode >= 500) {
            expect(res.statusCode).toBe(503);
            expect(res.headers['retry-after']).toMatch(/^\d+$/);
          }
          expect(res.statusCode).toBeGreaterThanOrEqual(200);
          if (res.statusCode >= 400) expect(() => res.json<unknown>()).not.toThrow();
        },
      ),
      { numRuns: 400 },
    );
    // Still answering normally afterwards.
    delivery.unavailable = false;
    const ok = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/json', 'x-api-key': SCANNER_KEY },
      payload: JSON.stringify(scan()),
    });
    expect(ok.statusCode).toBe(202);
  });
});
