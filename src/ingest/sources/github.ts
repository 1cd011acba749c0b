/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, the event name in `X-GitHub-Event`,
 * the delivery id (the same on a redelivery) in `X-GitHub-Delivery`. The native type is the event name,
 * then `.action` when the payload has one (`pull_request.closed`), so a mapping of `pull_request` takes
 * every action and `pull_request.closed` one. `ping` (sent when the hook is created) is answered 200.
 */
import { VERIFIED, anyMatches, mismatch, missing } from './hmac-signature.js';
import type { WebhookPreset } from './webhook-preset.js';

const HEADER = 'x-hub-signature-256';

export const githubPreset: WebhookPreset = {
  name: 'github',
  summary: 'GitHub repository and organization webhooks',
  signatureHeaders: [HEADER, 'x-github-event', 'x-github-delivery'],
  defaults: {
    id: "headers['x-github-delivery']",
    type: "headers['x-github-event'] + (type(body) == map && 'action' in body ? '.' + string(body.action) : '')",
  },
  verifier:
    ({ secrets }) =>
    (request) => {
      const given = request.headers[HEADER];
      if (!given) return missing(HEADER);
      if (!given.startsWith('sha256=')) return mismatch(HEADER);
      return anyMatches([given.slice('sha256='.length)], secrets, 'sha256', 'hex', request.raw)
        ? VERIFIED
        : mismatch(HEADER);
    },
  answer: (request, body) =>
    request.headers['x-github-event'] === 'ping'
      ? {
          status: 200,
          body: { status: 'pong', zen: (body as { zen?: unknown } | null)?.zen ?? null },
          reason: 'GitHub ping',
        }
      : undefined,
};
