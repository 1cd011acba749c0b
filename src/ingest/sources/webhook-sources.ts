/**
 * The webhook sources of a configuration, ready to take requests: for each source with a `webhook`, its
 * preset, its verifier (secrets read once, at startup) and its resolved expressions. Everything that can
 * fail on configuration fails here, when the server is built.
 */
import type { CompiledConfig, CompiledWebhook } from '../../config/compiled.js';
import { IngestSetupError } from '../ingest-setup-error.js';
import { WEBHOOK_PRESETS } from './presets.js';
import { DEFAULT_TOLERANCE_MS } from './webhook-preset.js';
import type { RequestVerifier, WebhookPreset } from './webhook-preset.js';
import { resolveMapping } from './webhook-mapper.js';
import type { ResolvedMapping } from './webhook-mapper.js';

export interface WebhookSource {
  name: string;
  webhook: CompiledWebhook;
  preset: WebhookPreset;
  verify: RequestVerifier;
  mapping: ResolvedMapping;
}

/** Builds every webhook source; throws IngestSetupError when a secret is missing or unusable. */
export function buildWebhookSources(
  config: CompiledConfig,
  env: Record<string, string | undefined>,
  now: () => number,
): Map<string, WebhookSource> {
  const sources = new Map<string, WebhookSource>();
  for (const source of Object.values(config.sources)) {
    const webhook = source.webhook;
    if (!webhook) continue;
    const preset = WEBHOOK_PRESETS[webhook.preset];
    const secretText = env[webhook.secretEnv];
    if (!secretText) {
      throw new IngestSetupError(
        `source "${source.name}" needs its webhook signing secret in environment variable ${webhook.secretEnv}, which is not set`,
      );
    }
    const secrets = secretText.split(/\s+/).filter(Boolean);
    const verify = preset.verifier({
      source: source.name,
      webhook,
      secrets,
      toleranceMs: webhook.toleranceMs ?? DEFAULT_TOLERANCE_MS,
      now,
    });
    sources.set(source.name, {
      name: source.name,
      webhook,
      preset,
      verify,
      mapping: resolveMapping(webhook, preset.defaults),
    });
  }
  return sources;
}
