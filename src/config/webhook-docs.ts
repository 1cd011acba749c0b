/** The `hunt docs` section on native webhook sources: each one's URL, preset, secret and mappings. */
import type { CompiledConfig } from './compiled.js';

/** Markdown lines listing the sources that take native webhooks (none when no source does). */
export function webhookSourcesSection(config: CompiledConfig): string[] {
  const sources = Object.values(config.sources).filter((s) => s.webhook);
  if (sources.length === 0) return [];
  const out = ['', '### Native webhooks', ''];
  for (const source of sources) {
    const webhook = source.webhook!;
    out.push(
      `- **${source.name}**: \`POST /sources/${source.name}\`, preset \`${webhook.preset}\`, secret in env ` +
        `\`${webhook.secretEnv}\`; unmapped types are ${webhook.unmapped === 'ignore' ? 'ignored (200)' : 'rejected (422)'}.`,
    );
    for (const [native, mapping] of Object.entries(webhook.events)) {
      const data = mapping.data ? `, data \`${mapping.data}\`` : '';
      const when = mapping.if ? `, if \`${mapping.if}\`` : '';
      out.push(`  - \`${native}\` → **${mapping.event}**${data}${when}`);
    }
  }
  return out;
}
