/**
 * Svix and Standard Webhooks (Clerk, Resend, …): `svix-id`, `svix-timestamp`, `svix-signature:
 * v1,<base64 HMAC-SHA256 of "id.timestamp.body">` (space-separated while a secret rolls) under the
 * base64 key of the `whsec_…` secret; the `webhook-*` header names of Standard Webhooks are taken too.
 * Unlike `auth: standardWebhooks` on POST /events, the body is the sender's own JSON, and the message id
 * (the same on a retry) is the event id.
 */
import { IngestSetupError } from '../ingest-setup-error.js';
import { VERIFIED, anyMatches, mismatch, missing, timestampProblem } from './hmac-signature.js';
import type { NativeRequest } from './native-request.js';
import type { WebhookPreset } from './webhook-preset.js';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** A Svix header by its svix- name, or its Standard Webhooks webhook- name. */
function svixHeader(request: NativeRequest, name: 'id' | 'timestamp' | 'signature'): string | undefined {
  return request.headers[`svix-${name}`] ?? request.headers[`webhook-${name}`];
}

export const svixPreset: WebhookPreset = {
  name: 'svix',
  summary: 'Svix-delivered webhooks (Clerk, Resend, …) and Standard Webhooks senders',
  signatureHeaders: ['svix-id', 'svix-timestamp', 'svix-signature'],
  defaults: {
    id: "'svix-id' in headers ? headers['svix-id'] : headers['webhook-id']",
    type: 'body.type',
    time: "'svix-timestamp' in headers ? headers['svix-timestamp'] : headers['webhook-timestamp']",
  },
  verifier: ({ source, secrets, toleranceMs, now }) => {
    const keys = secrets.map((secret) => {
      const base64 = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
      if (!BASE64.test(base64)) {
        throw new IngestSetupError(
          `the webhook secret of source "${source}" is not a Svix secret (whsec_<base64>); copy it from the sender's dashboard`,
        );
      }
      return Buffer.from(base64, 'base64');
    });
    return (request) => {
      const id = svixHeader(request, 'id');
      const timestamp = svixHeader(request, 'timestamp');
      const signature = svixHeader(request, 'signature');
      if (!id || !signature) return missing('svix-id and svix-signature');
      const stale = timestampProblem(timestamp, toleranceMs, now());
      if (stale) return stale;
      const given = signature
        .split(' ')
        .filter((part) => part.startsWith('v1,'))
        .map((part) => part.slice(3));
      return anyMatches(given, keys, 'sha256', 'base64', `${id}.${timestamp}.`, request.raw)
        ? VERIFIED
        : mismatch('svix-signature', 'the id, timestamp and body');
    };
  },
};
