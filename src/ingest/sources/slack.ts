/**
 * Slack (Events API, slash commands, interactivity): `X-Slack-Signature: v0=<hex HMAC-SHA256 of
 * "v0:timestamp:body">` with `X-Slack-Request-Timestamp`, checked within the tolerance (Slack suggests
 * 5 minutes). The `url_verification` challenge is echoed. Slack retries (`X-Slack-Retry-Num`) carry the
 * same `event_id`, the default event id, so a retry is a duplicate. The native type is the inner event's
 * type for `event_callback` (`app_mention`), else the body's `type`, else the slash command.
 */
import { VERIFIED, anyMatches, mismatch, missing, timestampProblem } from './hmac-signature.js';
import type { WebhookPreset } from './webhook-preset.js';

const HEADER = 'x-slack-signature';
const TIMESTAMP = 'x-slack-request-timestamp';

export const slackPreset: WebhookPreset = {
  name: 'slack',
  summary: 'Slack apps: Events API, slash commands',
  signatureHeaders: [HEADER, TIMESTAMP],
  defaults: {
    id: "type(body) == map && 'event_id' in body ? body.event_id : ('trigger_id' in body ? body.trigger_id : digest)",
    type:
      "type(body) == map && 'type' in body ? (body.type == 'event_callback' ? body.event.type : body.type) : " +
      "('command' in body ? body.command : 'unknown')",
    time: "type(body) == map && 'event_time' in body ? body.event_time : null",
  },
  verifier:
    ({ secrets, toleranceMs, now }) =>
    (request) => {
      const given = request.headers[HEADER];
      if (!given) return missing(HEADER);
      const timestamp = request.headers[TIMESTAMP];
      const stale = timestampProblem(timestamp, toleranceMs, now());
      if (stale) return stale;
      if (!given.startsWith('v0=')) return mismatch(HEADER);
      return anyMatches([given.slice(3)], secrets, 'sha256', 'hex', `v0:${timestamp}:`, request.raw)
        ? VERIFIED
        : mismatch(HEADER, 'the timestamp and body');
    },
  answer: (_request, body) => {
    const challenge = body as { type?: unknown; challenge?: unknown } | null;
    return challenge && typeof challenge === 'object' && challenge.type === 'url_verification'
      ? { status: 200, body: { challenge: challenge.challenge ?? null }, reason: 'Slack url_verification' }
      : undefined;
  },
};
