/** The route schema of one native webhook source's `POST /sources/<name>`: its signature headers and answers. */
import { WAIT_PARAMETER, jsonResponse, problemResponse } from '../openapi-document.js';
import type { WebhookSource } from './webhook-sources.js';

/** The OpenAPI-facing schema of a source's route (parameters are validated by Fastify; the body by the route). */
export function webhookRouteSchema(source: WebhookSource) {
  const { webhook, preset } = source;
  const headers =
    webhook.preset === 'generic' && webhook.signature
      ? [webhook.signature.header, ...(webhook.signature.timestampHeader ? [webhook.signature.timestampHeader] : [])]
      : preset.signatureHeaders;
  const mapped = Object.entries(webhook.events)
    .map(([native, m]) => `\`${native}\` → \`${m.event}\`${m.each ? ' (one per item)' : ''}`)
    .join(', ');
  const routed = {
    type: 'object',
    properties: { id: { type: 'string' }, type: { type: 'string' }, workflowId: { type: 'string' } },
  };
  return {
    summary: `Native webhook from ${source.name} (${webhook.preset}: ${preset.summary})`,
    description:
      `Signed as ${webhook.preset} signs (secret in env ${webhook.secretEnv}). Maps ${mapped || 'nothing'}; ` +
      `unmapped types are ${webhook.unmapped === 'ignore' ? 'ignored (200)' : 'rejected (422)'}. ` +
      'The sender’s delivery id is the event id: a redelivery is a duplicate.',
    tags: ['sources'],
    headers: {
      type: 'object',
      properties: Object.fromEntries(headers.map((name) => [name.toLowerCase(), { type: 'string' }])),
    },
    querystring: { type: 'object', properties: { wait: WAIT_PARAMETER } },
    body: {
      content: {
        'application/json': { schema: {} },
        'application/x-www-form-urlencoded': { schema: { type: 'object' } },
      },
    },
    response: {
      200: jsonResponse('A handshake answered (ping, url_verification), an ignored type, or the waited answer'),
      202: jsonResponse('Accepted: durable in Temporal', {
        type: 'object',
        required: ['status'],
        properties: { status: { const: 'accepted' }, events: { type: 'array', items: routed } },
      }),
      400: problemResponse('Unreadable body'),
      401: problemResponse('Signature missing, wrong or stale; nothing reached Temporal'),
      403: problemResponse('The mapped event’s type may not come from this source'),
      413: problemResponse('Too large'),
      415: problemResponse('Unsupported content type'),
      422: problemResponse('Mapping failed, type not mapped (reject), or a mapped event is invalid'),
      429: problemResponse('Rate limited (Retry-After)'),
      503: problemResponse('Temporal unavailable (Retry-After); nothing acknowledged'),
    },
  };
}
