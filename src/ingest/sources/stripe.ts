/**
 * Stripe: `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">[,v1=…]` (several v1 while a secret
 * rolls), checked within the tolerance (Stripe's own default is 5 minutes). The event id is Stripe's
 * `evt_…` id, the same on every retry; the native type is the body's `type` (`payment_intent.succeeded`).
 */
import { VERIFIED, anyMatches, mismatch, missing, timestampProblem } from './hmac-signature.js';
import type { WebhookPreset } from './webhook-preset.js';

const HEADER = 'stripe-signature';

export const stripePreset: WebhookPreset = {
  name: 'stripe',
  summary: 'Stripe webhook endpoints (events API)',
  signatureHeaders: [HEADER],
  defaults: { id: 'body.id', type: 'body.type', time: 'body.created' },
  verifier:
    ({ secrets, toleranceMs, now }) =>
    (request) => {
      const given = request.headers[HEADER];
      if (!given) return missing(HEADER);
      const fields = given.split(',').map((part) => part.trim().split('='));
      const timestamp = fields.find(([key]) => key === 't')?.[1];
      const signatures = fields.filter(([key]) => key === 'v1').map(([, value]) => value ?? '');
      if (signatures.length === 0) return { ok: false, code: 'BAD_SIGNATURE', detail: `${HEADER} has no v1 signature` };
      const stale = timestampProblem(timestamp, toleranceMs, now());
      if (stale) return stale;
      return anyMatches(signatures, secrets, 'sha256', 'hex', `${timestamp}.`, request.raw)
        ? VERIFIED
        : mismatch(HEADER, 'the timestamp and body');
    },
};
