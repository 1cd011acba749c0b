/**
 * Local development only: every source secret and connector variable the config references but the
 * environment lacks (after the sandbox set the partner URLs) gets a
 * generated value, kept in `<stateDir>/dev-secrets.json` so it stays the same across restarts. Never used
 * with TEMPORAL_ADDRESS (a real deployment must set its secrets).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { CompiledConfig } from '../config/compiled.js';

/** The environment variables holding each source's secret. */
export function sourceSecretVariables(
  config: CompiledConfig,
): Array<{ source: string; variable: string; kind: string }> {
  const out: Array<{ source: string; variable: string; kind: string }> = [];
  for (const source of Object.values(config.sources)) {
    const auth = source.auth;
    if (auth.type === 'apiKey') out.push({ source: source.name, variable: auth.env, kind: 'apiKey' });
    if (auth.type === 'standardWebhooks')
      out.push({ source: source.name, variable: auth.secretEnv, kind: 'standardWebhooks' });
    if (auth.type === 'hubSignature') out.push({ source: source.name, variable: auth.secretEnv, kind: 'hubSignature' });
    // A native webhook's signing secret (Stripe's may share the variable of the source's own auth).
    const webhook = source.webhook;
    if (webhook && !out.some((v) => v.variable === webhook.secretEnv)) {
      const kind = webhook.preset === 'svix' || webhook.preset === 'stripe' ? 'standardWebhooks' : 'webhook';
      out.push({ source: source.name, variable: webhook.secretEnv, kind });
    }
  }
  return out;
}

/** Variables the connectors read through `{{ env.X }}` (URLs, tokens, passwords). */
export function connectorEnvVariables(config: CompiledConfig): string[] {
  const names = new Set<string>();
  for (const match of JSON.stringify(config.connectors).matchAll(/env\.([A-Za-z_][A-Za-z0-9_]*)/g))
    names.add(match[1]!);
  return [...names];
}

function generate(kind: string): string {
  // Standard Webhooks secrets are base64 with a `whsec_` prefix.
  return kind === 'standardWebhooks' ? `whsec_${randomBytes(24).toString('base64')}` : randomBytes(18).toString('hex');
}

/** Where `npm start` keeps generated development secrets. */
export function devSecretsFile(stateDir: string): string {
  return path.join(stateDir, 'dev-secrets.json');
}

/** The generated development secrets (empty when none were generated yet). */
export async function readDevSecrets(stateDir: string): Promise<Record<string, string>> {
  try {
    return JSON.parse(await fs.readFile(devSecretsFile(stateDir), 'utf8')) as Record<string, string>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return {};
  }
}

/** Returns values for the secrets missing from `env`, generating and persisting them on first use. */
export async function devSecrets(
  config: CompiledConfig,
  stateDir: string,
  env: Record<string, string | undefined>,
  logger: Logger,
): Promise<Record<string, string>> {
  const file = devSecretsFile(stateDir);
  const stored = await readDevSecrets(stateDir);
  const wanted = [
    ...sourceSecretVariables(config),
    ...connectorEnvVariables(config).map((variable) => ({ source: '', variable, kind: 'connector' })),
  ];
  const missing = wanted.filter(({ variable }) => !env[variable]);
  if (missing.length === 0) return {};
  const out: Record<string, string> = {};
  for (const { variable, kind } of missing) out[variable] = stored[variable] ??= generate(kind);
  await fs.mkdir(stateDir, { recursive: true });
  await fs.writeFile(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  logger.info(
    { variables: missing.map((m) => m.variable), file },
    'using generated development secrets for sources whose secret is not set',
  );
  return out;
}
