/**
 * Twilio: `X-Twilio-Signature: <base64 HMAC-SHA1>` under the account's auth token, over the full URL Twilio
 * posted to followed by every form field sorted by name (name + value, no separators). A JSON body is
 * signed instead through the URL's `bodySHA256` query parameter (hex SHA-256 of the body). The URL is the
 * source's `url` (the public address configured in Twilio) plus the request's query, or else rebuilt from
 * the request (`X-Forwarded-Proto` / `X-Forwarded-Host` behind a proxy). The idempotency token Twilio
 * sends (`I-Twilio-Idempotency-Token`, the same on a retry) is the event id.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Json } from '../../config/compiled.js';
import { VERIFIED, anyMatches, mismatch, missing } from './hmac-signature.js';
import type { NativeRequest } from './native-request.js';
import type { WebhookPreset } from './webhook-preset.js';

const HEADER = 'x-twilio-signature';
const SETTINGS = 'x-twilio-webhooks-signature-settings';

/** The URL Twilio signed: the configured public URL with the request's query, or the request's own. */
function signedUrl(request: NativeRequest, configured: string | undefined): string {
  if (!configured) return request.url;
  const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
  return configured.includes('?') ? configured : configured + query;
}

/** Form fields sorted by name, each name followed by its value(s): what Twilio appends to the URL. */
function sortedFields(body: Json): string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return '';
  return Object.keys(body)
    .sort()
    .map((name) => {
      const value = body[name];
      // A repeated field: each distinct value, sorted, as twilio-node signs it.
      const values = Array.isArray(value) ? [...new Set(value.map(String))].sort() : [value];
      return values.map((v) => `${name}${typeof v === 'string' ? v : JSON.stringify(v)}`).join('');
    })
    .join('');
}

export const twilioPreset: WebhookPreset = {
  name: 'twilio',
  summary: 'Twilio messaging and voice webhooks (form-encoded)',
  signatureHeaders: [HEADER],
  verifiesParsedBody: true,
  defaults: {
    id: "'i-twilio-idempotency-token' in headers ? headers['i-twilio-idempotency-token'] : digest",
    type:
      "'MessageStatus' in body ? 'message.' + body.MessageStatus : ('SmsStatus' in body ? 'message.' + body.SmsStatus : " +
      "('CallStatus' in body ? 'call.' + body.CallStatus : 'request'))",
    subject: "'From' in body ? body.From : null",
  },
  verifier:
    ({ secrets, webhook }) =>
    (request, body) => {
      const given = request.headers[HEADER];
      if (!given) return missing(HEADER);
      // Webhooks signed with a SharedKey may say HMAC_SHA256 in the settings header; the default is SHA-1.
      const settings = request.headers[SETTINGS] ?? '';
      const algorithm = /algorithm=\s*HMAC_SHA256/i.test(settings) ? 'sha256' : 'sha1';
      const url = signedUrl(request, webhook.url);
      const bodyHash = new URL(url).searchParams.get('bodySHA256');
      if (bodyHash !== null) {
        // JSON bodies: the URL (with bodySHA256) is signed, and the body must hash to it.
        const actual = createHash('sha256').update(request.raw).digest();
        const claimed = /^[0-9a-f]{64}$/i.test(bodyHash) ? Buffer.from(bodyHash, 'hex') : Buffer.alloc(0);
        if (claimed.length !== actual.length || !timingSafeEqual(claimed, actual)) {
          return mismatch('bodySHA256', 'the body');
        }
        return anyMatches([given], secrets, algorithm, 'base64', url) ? VERIFIED : mismatch(HEADER, 'the URL');
      }
      return anyMatches([given], secrets, algorithm, 'base64', url, sortedFields(body))
        ? VERIFIED
        : mismatch(HEADER, 'the URL and form fields');
    },
};
