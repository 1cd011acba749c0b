/** OpenAPI paths of the native webhook sources: one `POST /sources/<name>` per source, with its signature headers. */
import type { CompiledConfig } from '../../config/compiled.js';
import { WEBHOOK_PRESETS } from './presets.js';

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/** `/sources/<name>` → path item, for every source that takes native webhooks. */
export function webhookOpenApiPaths(config: CompiledConfig): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const source of Object.values(config.sources)) {
    const webhook = source.webhook;
    if (!webhook) continue;
    const preset = WEBHOOK_PRESETS[webhook.preset];
    const headers =
      webhook.preset === 'generic' && webhook.signature
        ? [webhook.signature.header, ...(webhook.signature.timestampHeader ? [webhook.signature.timestampHeader] : [])]
        : preset.signatureHeaders;
    const mapped = Object.entries(webhook.events)
      .map(([native, m]) => `\`${native}\` → \`${m.event}\``)
      .join(', ');
    paths[`/sources/${source.name}`] = {
      post: {
        summary: `Native webhook from ${source.name} (${webhook.preset}: ${preset.summary})`,
        description:
          `Signed as ${webhook.preset} signs (secret in env ${webhook.secretEnv}). Maps ${mapped || 'nothing'}; ` +
          `unmapped types are ${webhook.unmapped === 'ignore' ? 'ignored (200)' : 'rejected (422)'}. ` +
          'The sender’s delivery id is the event id: a redelivery is a duplicate.',
        parameters: [
          ...headers.map((name) => ({ name, in: 'header', schema: { type: 'string' } })),
          { name: 'wait', in: 'query', schema: { type: 'boolean' }, description: 'Wait for the entity’s answer' },
        ],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: {} },
            'application/x-www-form-urlencoded': { schema: { type: 'object' } },
          },
        },
        responses: {
          '200': {
            description: 'A handshake answered (ping, url_verification), an ignored type, or the waited answer',
          },
          '202': { description: 'Accepted: durable in Temporal' },
          '400': problem('Unreadable body'),
          '401': problem('Signature missing, wrong or stale; nothing reached Temporal'),
          '413': problem('Too large'),
          '415': problem('Unsupported content type'),
          '422': problem('Mapping failed, type not mapped (reject), or the mapped event is invalid'),
          '429': problem('Rate limited (Retry-After)'),
          '503': problem('Temporal unavailable (Retry-After); nothing acknowledged'),
        },
      },
    };
  }
  return paths;
}
