/**
 * `hunt types`, `hunt send` and `hunt inspect`: generate TypeScript types for event data, send an
 * event to a running ingest API over HTTP, and look at one entity through Temporal.
 */
import { writeFile } from 'node:fs/promises';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import type { Command } from 'commander';
import { createHttpSender, HttpSendError } from '../client/http-sender.js';
import { emitEventTypes } from '../client/event-types-emitter.js';
import { connectClient } from '../settings/temporal-connection.js';
import { loadSettings } from '../settings/settings.js';
import { deadLettersQuery, eventsQuery, stateQuery, tracesQuery } from '../contract/messages.js';
import { entityAddress, requireEntityAddress } from '../contract/entity-address.js';
import { CliError } from './cli-error.js';
import { loadConfig } from './cli-config.js';

interface SendOptions {
  data: string;
  source?: string;
  subject?: string;
  id?: string;
  url: string;
  wait?: boolean;
  secretEnv: string;
  hubSecretEnv: string;
  apiKeyEnv: string;
  apiKeyHeader: string;
}

/** Registers the ingest and client commands on the `hunt` program. */
export function registerIngestCommands(program: Command): void {
  program
    .command('types')
    .description("generate TypeScript types for every event's data from its JSON Schema")
    .argument('<config>', 'configuration file (YAML or JSON)')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (file: string, options: { out?: string }) => {
      const text = emitEventTypes(await loadConfig(file));
      if (options.out) {
        await writeFile(options.out, text);
        process.stderr.write(`wrote ${options.out}\n`);
      } else {
        process.stdout.write(text);
      }
    });

  program
    .command('send')
    .description('send one event to a running ingest API over HTTP (CloudEvents, signed per the source)')
    .argument('<type>', 'event type, e.g. checkpoint.scanned')
    .requiredOption('--data <json>', 'the event data as JSON')
    .option('--source <source>', 'configured source name (default: the only source allowed for the type)')
    .option('--subject <subject>', 'CloudEvents subject')
    .option('--id <id>', 'event id (default: a random UUID)')
    .option('--url <url>', 'ingest API base URL', 'http://127.0.0.1:3000')
    .option('--wait', "wait for the entity's answer (rules fired)")
    .option('--secret-env <name>', 'env var holding the Standard Webhooks secret', 'HUNT_SEND_SECRET')
    .option('--hub-secret-env <name>', 'env var holding the X-Hub-Signature-256 secret', 'HUNT_SEND_HUB_SECRET')
    .option('--api-key-env <name>', 'env var holding the API key', 'HUNT_SEND_API_KEY')
    .option('--api-key-header <header>', 'header carrying the API key', 'x-api-key')
    .action(async (type: string, options: SendOptions) => {
      await send(type, options);
    });

  program
    .command('inspect')
    .description("show an entity's state, recent events, dead letters and last decisions (via Temporal)")
    .argument('<entity>', 'entity as type/key, e.g. team/red-foxes')
    .option('--json', 'print JSON')
    .action(async (entity: string, options: { json?: boolean }) => {
      await inspect(entity, options.json === true);
    });
}

async function send(type: string, options: SendOptions): Promise<void> {
  let data: unknown;
  try {
    data = JSON.parse(options.data);
  } catch (err) {
    throw new CliError(`--data is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const source = options.source ?? (await onlySourceFor(type, options.url));
  const [secret, hubSecret, apiKey] = [options.secretEnv, options.hubSecretEnv, options.apiKeyEnv].map(
    (name) => process.env[name] || undefined,
  );
  const sender = createHttpSender({
    url: options.url,
    source,
    wait: options.wait === true,
    maxAttempts: 1,
    apiKeyHeader: options.apiKeyHeader,
    ...(secret !== undefined && { secret }),
    ...(hubSecret !== undefined && { hubSecret }),
    ...(apiKey !== undefined && { apiKey }),
  });
  try {
    const result = await sender.send({
      type,
      data,
      ...(options.subject ? { subject: options.subject } : {}),
      ...(options.id ? { id: options.id } : {}),
    });
    process.stdout.write(`${result.status} ${JSON.stringify(result.body, null, 2)}\n`);
  } catch (err) {
    if (err instanceof HttpSendError) {
      throw new CliError(`${err.message}\n${JSON.stringify(err.body, null, 2)}`);
    }
    throw new CliError(
      `cannot reach the ingest API at ${options.url} (${err instanceof Error ? err.message : String(err)}); start it with npm start or pass --url`,
    );
  }
}

/** Asks the running API (its OpenAPI document) which sources may send `type`. */
async function onlySourceFor(type: string, url: string): Promise<string> {
  let events: Record<string, { sources: string[] }> | undefined;
  try {
    const response = await fetch(`${url.replace(/\/+$/, '')}/openapi.json`);
    events = ((await response.json()) as { 'x-hunt-events'?: Record<string, { sources: string[] }> })['x-hunt-events'];
  } catch (err) {
    throw new CliError(`cannot read ${url}/openapi.json to find the source (${String(err)}); pass --source`);
  }
  const sources = events?.[type]?.sources;
  if (!sources)
    throw new CliError(
      `event type "${type}" is not configured at ${url}; known: ${Object.keys(events ?? {}).join(', ')}`,
    );
  if (sources.length !== 1)
    throw new CliError(`event type "${type}" may come from ${sources.join(', ')}: pass --source`);
  return sources[0]!;
}

async function inspect(entity: string, json: boolean): Promise<void> {
  const workflowId = entityAddress(requireEntityAddress(entity));
  const settings = loadSettings(process.env);
  let connection;
  try {
    connection = await connectClient(settings);
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err));
  }
  try {
    const handle = new Client({ connection, namespace: settings.TEMPORAL_NAMESPACE }).workflow.getHandle(workflowId);
    const [view, events, deadLetters, traces] = await Promise.all([
      handle.query(stateQuery),
      handle.query(eventsQuery),
      handle.query(deadLettersQuery),
      handle.query(tracesQuery, {}),
    ]);
    if (json) {
      process.stdout.write(`${JSON.stringify({ view, events, deadLetters, traces }, null, 2)}\n`);
      return;
    }
    const lines = [
      `${entity}  (config ${view.configVersion}, ${view.eventCount} events${view.ended ? `, ended: ${view.ended.reason ?? 'yes'}` : ''})`,
      `state: ${JSON.stringify(view.state, null, 2)}`,
      `recent events:`,
      ...events
        .slice(-10)
        .map(
          (e) =>
            `  ${new Date(e.at).toISOString()} ${e.type} ${e.id} from ${e.source}: ${e.status}${e.reason ? ` (${e.reason})` : ''}`,
        ),
      `dead letters: ${deadLetters.length === 0 ? 'none' : ''}`,
      ...deadLetters.map(
        (d) => `  ${d.id} rule ${d.ruleId} → ${d.connector}: ${d.lastFailure}${d.redriven ? ' (redriven)' : ''}`,
      ),
      `last decisions:`,
      ...traces
        .slice(-5)
        .flatMap((t) => [
          `  ${t.eventType} ${t.eventId}: ${t.status}`,
          ...t.verdicts.map((v) => `    ${v.fired ? 'fired' : 'no'}  ${v.ruleId} [${v.clause}] ${v.reason}`),
        ]),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new CliError(`no entity ${entity} (no workflow with that id)`);
    throw err;
  } finally {
    await connection.close();
  }
}
