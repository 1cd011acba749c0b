/** The short banner `npm start` prints once everything is up: where to look and one event to send. */
import type { CompiledConfig } from './config/compiled.js';
import { formatDuration } from './config/durations.js';
import type { DevServer } from './dev/dev-server.js';
import type { Sandbox } from './sandbox/sandbox-server.js';
import type { Settings } from './settings/settings.js';

export interface BannerInput {
  settings: Settings;
  config: CompiledConfig;
  env: Record<string, string | undefined>;
  devServer?: DevServer | undefined;
  sandbox?: Sandbox | undefined;
}

/** A curl that sends the config's first example event from an API-key (or open) source, when there is one. */
export function exampleCurl(input: BannerInput): string | undefined {
  const base = `http://${input.settings.HUNT_HOST}:${input.settings.HUNT_PORT}`;
  for (const event of Object.values(input.config.events)) {
    for (const sourceName of event.sources) {
      const source = input.config.sources[sourceName];
      if (!source || (source.auth.type !== 'apiKey' && source.auth.type !== 'none')) continue;
      const header =
        source.auth.type === 'apiKey' ? ` -H '${source.auth.header}: ${input.env[source.auth.env] ?? ''}'` : '';
      const body = JSON.stringify({
        specversion: '1.0',
        id: 'evt-1',
        source: sourceName,
        type: event.type,
        data: event.example ?? {},
      });
      return `curl -i ${base}/events -H 'content-type: application/cloudevents+json'${header} -d '${body}'`;
    }
  }
  return undefined;
}

/** Formats the banner. */
export function startupBanner(input: BannerInput): string {
  const { settings, devServer, sandbox, config } = input;
  const uiUrl = devServer?.uiUrl ?? '(your Temporal cluster’s Web UI)';
  const lines = [
    '',
    `  Treasure Hunt Engine is running — config "${config.name}" version ${config.version}`,
    '',
    `  Temporal Web UI   ${uiUrl}/namespaces/${settings.TEMPORAL_NAMESPACE}/workflows`,
    `  Temporal server   ${settings.temporalAddress}${devServer ? ` (${devServer.mode}, data in ${settings.stateDir})` : ''}`,
  ];
  if (settings.HUNT_ROLE !== 'worker') {
    lines.push(
      `  Ingest API        http://${settings.HUNT_HOST}:${settings.HUNT_PORT}  (live map at /, API docs at /docs)`,
    );
  }
  if (sandbox) lines.push(`  Sandbox partners  ${sandbox.url('mailer').replace(/\/mailer$/, '')}/_requests`);
  if (settings.HUNT_ROLE !== 'worker') {
    lines.push(`  Live map          http://${settings.HUNT_HOST}:${settings.HUNT_PORT}/`);
    lines.push('', '  Play the demo (another terminal):  npm run demo');
    lines.push(
      config.demoSpeed
        ? `    rule windows are ${config.demoSpeed}× shorter (HUNT_DEMO_SPEED): an hour of rule time lasts ${formatDuration(Math.max(1, Math.round(3_600_000 / config.demoSpeed)))}`
        : '    to see every rule in ~2 minutes, start with HUNT_DEMO_SPEED=60 npm start (rule windows 60× shorter)',
    );
  }
  const curl = exampleCurl(input);
  if (curl && settings.HUNT_ROLE !== 'worker') lines.push('', '  Send an event:', `    ${curl}`);
  lines.push('', '  Stop with Ctrl-C (data stays in the state directory; delete it to start afresh).', '');
  return `${lines.join('\n')}\n`;
}
