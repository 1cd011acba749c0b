/**
 * Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the body>` under the app's client secret; the topic
 * (`orders/create`) in `X-Shopify-Topic`, the webhook id (the same on a retry) in `X-Shopify-Webhook-Id`.
 * Shopify signs no timestamp, so there is no replay window: redeliveries are deduped by the webhook id.
 */
import { VERIFIED, anyMatches, mismatch, missing } from './hmac-signature.js';
import type { WebhookPreset } from './webhook-preset.js';

const HEADER = 'x-shopify-hmac-sha256';

export const shopifyPreset: WebhookPreset = {
  name: 'shopify',
  summary: 'Shopify app and shop webhooks (HTTPS delivery)',
  signatureHeaders: [HEADER, 'x-shopify-topic', 'x-shopify-webhook-id', 'x-shopify-shop-domain'],
  defaults: {
    id: "headers['x-shopify-webhook-id']",
    type: "headers['x-shopify-topic']",
    time: "'x-shopify-triggered-at' in headers ? headers['x-shopify-triggered-at'] : null",
  },
  verifier:
    ({ secrets }) =>
    (request) => {
      const given = request.headers[HEADER];
      if (!given) return missing(HEADER);
      return anyMatches([given], secrets, 'sha256', 'base64', request.raw) ? VERIFIED : mismatch(HEADER);
    },
};
