/**
 * Property tests of every preset's verifier and mapping: random headers (including each preset's own
 * signature headers with random values) and random bodies never cause a 5xx and never get an unsigned
 * event through; correctly signed random bodies are never a 5xx either (mapping failures are 4xx).
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { buildIngestServer } from '../../src/ingest/ingest-server.js';
import { WEBHOOK_PRESETS } from '../../src/ingest/sources/presets.js';
import { FakeDeliverer, fixtureConfig } from './ingest-fixture.js';
import {
  WEBHOOK_ENV,
  githubRequest,
  scannerRequest,
  slackRequest,
  stripeRequest,
  svixRequest,
} from './webhook-signers.js';

const config = fixtureConfig('webhook-hunt.yaml');
const delivery = new FakeDeliverer(config);
const app = buildIngestServer({ config, delivery, logger: pino({ level: 'silent' }), env: WEBHOOK_ENV });
const sources = Object.values(config.sources).filter((s) => s.webhook);

const headerNames = [
  ...new Set([
    ...Object.values(WEBHOOK_PRESETS).flatMap((p) => p.signatureHeaders),
    'x-slack-request-timestamp',
    'webhook-id',
    'webhook-timestamp',
    'webhook-signature',
    'x-scanner-signature',
    'x-scanner-timestamp',
    'i-twilio-idempotency-token',
  ]),
];
const headerValue = fc.oneof(
  fc.string({ maxLength: 80 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
  fc.constantFrom('sha256=', 'v0=', 't=1,v1=ab', 'v1,AAAA', String(Math.floor(Date.now() / 1000))),
);
const contentType = fc.constantFrom(
  'application/json',
  'application/x-www-form-urlencoded',
  'text/plain',
  'application/octet-stream',
  'application/json; charset=utf-8',
);
const body = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
);

describe('webhook presets under random input', () => {
  it('random headers and bodies: never a 5xx, never an event delivered', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...sources.map((s) => s.name)),
        fc.dictionary(fc.constantFrom(...headerNames), headerValue, { maxKeys: 6 }),
        contentType,
        body,
        async (source, headers, type, payload) => {
          const res = await app.inject({
            method: 'POST',
            url: `/sources/${source}`,
            headers: { ...headers, 'content-type': type },
            payload,
          });
          expect(res.statusCode).toBeGreaterThanOrEqual(400);
          expect(res.statusCode).toBeLessThan(500);
          expect(delivery.sent).toHaveLength(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('correctly signed random bodies: never a 5xx; whatever is delivered came from a mapped type', async () => {
    const signed = fc.oneof(
      fc.json({ maxDepth: 3 }).map((json) => stripeRequest(JSON.parse(json))),
      fc.json({ maxDepth: 3 }).map((json) => slackRequest(JSON.parse(json))),
      fc.json({ maxDepth: 3 }).map((json) => svixRequest(JSON.parse(json))),
      fc.json({ maxDepth: 3 }).map((json) => scannerRequest(JSON.parse(json))),
      fc
        .record({
          kind: fc.constantFrom('scan', 'other'),
          scanId: fc.string(),
          teamId: fc.string(),
          checkpoint: fc.string(),
        })
        .map((scan) => scannerRequest(scan)),
    );
    await fc.assert(
      fc.asyncProperty(signed, async (request) => {
        const before = delivery.sent.length;
        const res = await app.inject({
          method: 'POST',
          url: request.url,
          headers: request.headers,
          payload: request.payload,
        });
        expect(res.statusCode).toBeLessThan(500);
        if (delivery.sent.length > before) expect(res.statusCode).toBe(202);
      }),
      { numRuns: 300 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 20 }), fc.json({ maxDepth: 3 }), async (event, json) => {
        const request = await githubRequest(event, JSON.parse(json));
        const res = await app.inject({
          method: 'POST',
          url: request.url,
          headers: request.headers,
          payload: request.payload,
        });
        expect(res.statusCode).toBeLessThan(500);
      }),
      { numRuns: 100 },
    );
  });

  it('a signature over other bytes never passes, whatever the body', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 100 }), fc.string({ maxLength: 100 }), async (signedBody, sentBody) => {
        fc.pre(signedBody !== sentBody);
        const digest = createHmac('sha256', WEBHOOK_ENV.GITHUB_WEBHOOK_SECRET).update(signedBody).digest('hex');
        const res = await app.inject({
          method: 'POST',
          url: '/sources/github',
          headers: {
            'content-type': 'application/json',
            'x-github-event': 'push',
            'x-hub-signature-256': `sha256=${digest}`,
          },
          payload: sentBody,
        });
        expect(res.statusCode).toBe(401);
      }),
      { numRuns: 200 },
    );
  });
});
