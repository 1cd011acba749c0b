/**
 * Plain-word descriptions of a configuration: `describeRule` (reused by `hunt explain` and the
 * live map) and the Markdown catalog printed by `hunt docs`.
 */
import { describeMatcher } from '../rules/patterns.js';
import { behaviourOf } from '../rules/timing-behaviours.js';
import type { SentenceWords } from '../rules/timing-behaviours.js';
import type {
  CompiledAction,
  CompiledConfig,
  CompiledReducer,
  CompiledRule,
  EventRef,
  Json,
  JoinExpr,
  Pattern,
  PatternMatcher,
  PatternValue,
} from './compiled.js';
import { formatDuration } from './durations.js';
import { reachesOf, reachesSeveral, ruleEntity } from '../rules/event-reach.js';
import { keyPathsOf } from '../rules/routing.js';
import { formatStatuses } from './success-statuses.js';
import { webhookSourcesSection } from './webhook-docs.js';

/**
 * A rule in plain words, e.g. "When checkpoint.scanned arrives, if `…`, then: call mailer (next clue)." The
 * "When …" part comes from the rule's timing behaviour (src/rules/timing-behaviours.ts), the same code that
 * runs it, so it says when `if` is checked the way the engine checks it.
 */
export function describeRule(rule: CompiledRule): string {
  const words: SentenceWords = {
    on: rule.on.map(describeRef).join(' or '),
    ref: describeRef,
    join: (join) => describeJoin(join),
    duration: formatDuration,
    ...(rule.if !== undefined && { condition: rule.if }),
  };
  const sentence = [behaviourOf(rule).sentence(rule.timing, words)];
  sentence.push(rule.once ? ' (only the first time, per entity)' : '');
  sentence.push(`, then: ${describeActions(rule.then)}.`);
  if (rule.onFailure.length > 0)
    sentence.push(` If a call still fails after its retries: ${describeActions(rule.onFailure)}.`);
  return sentence.join('');
}

/** Actions in words; what follows an `end` is not run, and the sentence says so. */
function describeActions(actions: CompiledAction[]): string {
  const end = actions.findIndex((a) => a.kind === 'end');
  const run = end < 0 ? actions : actions.slice(0, end + 1);
  const skipped = end < 0 ? [] : actions.slice(end + 1);
  const words = run.map(describeAction).join('; ');
  return skipped.length === 0 ? words : `${words} (not run, after the end: ${skipped.map(describeAction).join('; ')})`;
}

function describeJoin(join: JoinExpr, nested = false): string {
  if ('event' in join) return describeRef(join.event);
  const words = ('all' in join ? join.all : join.any)
    .map((part) => describeJoin(part, true))
    .join('all' in join ? ' and ' : ' or ');
  return nested ? `(${words})` : words;
}

/** An event reference: `checkpoint.scanned` or `checkpoint.scanned (data.checkpoint starting with "cp-")`. */
export function describeRef(ref: EventRef): string {
  return ref.match === undefined ? ref.type : `${ref.type} (${describePattern(ref.match)})`;
}

/** A content pattern in words: `data.checkpoint starting with "cp-"`. */
export function describePattern(pattern: Pattern, prefix = ''): string {
  const parts = Object.entries(pattern).map(([key, value]: [string, PatternValue]) => {
    if (key === '$or' && Array.isArray(value)) {
      return `either ${(value as unknown as Pattern[]).map((sub) => describePattern(sub, prefix)).join(' or ')}`;
    }
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (Array.isArray(value)) return `${path} ${value.map(describeMatcherPhrase).join(' or ')}`;
    if ('$or' in value && Array.isArray(value.$or))
      return `either ${(value.$or as Pattern[]).map((sub) => describePattern(sub, path)).join(' or ')}`;
    return describePattern(value as Pattern, path);
  });
  return parts.join(' and ');
}

function describeMatcherPhrase(matcher: PatternMatcher): string {
  const words = describeMatcher(matcher);
  return matcher === null || typeof matcher !== 'object' ? `= ${words}` : words;
}

/** One action in words. */
export function describeAction(action: CompiledAction): string {
  switch (action.kind) {
    case 'call': {
      const request = [action.method, action.path]
        .filter((part) => part !== undefined)
        .map(String)
        .join(' ');
      return `call ${action.connector}${action.summary ? ` (${action.summary})` : ''}${request ? ` → ${request}` : ''}`;
    }
    case 'emit':
      return `emit ${action.type}`;
    case 'start':
      return `start workflow ${action.workflow} on ${action.taskQueue}${action.result ? ', and watch it' : ''}`;
    case 'signal':
      return `signal ${action.signal} to workflow ${showTemplate(action.workflowId)}`;
    case 'set':
      return action.reducers.map(describeReducer).join(', ');
    case 'end':
      return `end the entity${action.reason ? ` (${action.reason})` : ''}`;
  }
}

/** A reducer in words: `set paid to true`, `append data.checkpoint to found`. */
export function describeReducer(reducer: CompiledReducer): string {
  const value = showTemplate(reducer.value);
  switch (reducer.op) {
    case 'set':
      return `set ${reducer.path} to ${value}`;
    case 'increment':
      return `add ${reducer.value === undefined ? '1' : value} to ${reducer.path}`;
    case 'append':
      return `append ${value} to ${reducer.path}`;
    case 'remove':
      return reducer.value === undefined ? `delete ${reducer.path}` : `remove ${value} from ${reducer.path}`;
    case 'merge':
      return `merge ${value} into ${reducer.path}`;
  }
}

function showTemplate(value: Json | undefined): string {
  if (typeof value === 'string') {
    const single = /^\{\{\s*([\s\S]*?)\s*\}\}$/.exec(value);
    return single ? `\`${single[1]}\`` : JSON.stringify(value);
  }
  return `\`${JSON.stringify(value)}\``;
}

function codeBlock(language: string, value: unknown): string {
  return `\`\`\`${language}\n${JSON.stringify(value, null, 2)}\n\`\`\``;
}

/** The Markdown catalog of a configuration: entities, sources, events, rules, connectors and who calls them. */
export interface DocsOptions {
  /** TypeScript connectors' input schemas (JSON Schema), by connector name, when their modules were loaded. */
  connectorInputs?: Record<string, Record<string, unknown> | undefined>;
}

export function renderDocs(config: CompiledConfig, options: DocsOptions = {}): string {
  const out: string[] = [`# ${config.name}`, '', `Config version \`${config.version}\`.`, ''];
  out.push('## Entities', '');
  for (const entity of Object.values(config.entities)) {
    out.push(
      `### ${entity.name}`,
      '',
      `Keyed by \`${entity.key}\`; one workflow per key (\`${entity.name}/<key>\`).`,
      '',
    );
    out.push('Initial state:', '', codeBlock('json', entity.initial), '');
  }
  out.push('## Sources', '', '| source | authentication | rate limit |', '| --- | --- | --- |');
  for (const source of Object.values(config.sources)) {
    const auth = source.auth;
    const words =
      auth.type === 'none'
        ? 'none (local development only)'
        : auth.type === 'apiKey'
          ? `API key in \`${auth.header}\` (env \`${auth.env}\`)`
          : auth.type === 'standardWebhooks'
            ? `Standard Webhooks signature (env \`${auth.secretEnv}\`)`
            : auth.type === 'hubSignature'
              ? `HMAC signature in \`${auth.header}\` (env \`${auth.secretEnv}\`)`
              : 'native webhooks only';
    out.push(
      `| ${source.name} | ${words} | ${source.rateLimit === undefined ? 'unlimited' : `${source.rateLimit}/s`} |`,
    );
  }
  out.push(...webhookSourcesSection(config));
  out.push('', '## Events', '');
  for (const event of Object.values(config.events)) {
    out.push(`### ${event.type}`, '');
    if (event.description) out.push(event.description, '');
    const from = event.sources.length > 0 ? `Sent by ${event.sources.join(', ')}` : 'Emitted by rules only';
    if (reachesSeveral(event)) {
      const keys = keyPathsOf(config, event.type).map(({ entity, path }) => `**${entity}** (key \`${path}\`)`);
      out.push(
        `${from}; reaches entities ${keys.join(', ')}: each gets it once and dedupes it itself; rules on it run in ` +
          `**${event.entity}** unless they name another \`entity\`.`,
        '',
      );
    } else out.push(`${from}; about entity **${event.entity}**.`, '');
    const observers = config.rulesByEvent[event.type] ?? [];
    out.push(`Rules that see it: ${observers.length > 0 ? observers.join(', ') : 'none'}.`, '');
    const emitters = config.rules.filter((rule) =>
      [...rule.then, ...rule.onFailure].some((a) => a.kind === 'emit' && a.type === event.type),
    );
    if (emitters.length > 0) out.push(`Emitted by: ${emitters.map((r) => r.id).join(', ')}.`, '');
    for (const reach of reachesOf(event)) {
      if (reach.reduce.length === 0) continue;
      const of = reachesSeveral(event) ? ` of ${reach.entity}` : '';
      out.push(`State${of}: ${reach.reduce.map(describeReducer).join('; ')}.`, '');
    }
    out.push('Schema of `data`:', '', codeBlock('json', event.schema), '');
    if (event.example !== undefined) out.push('Example `data`:', '', codeBlock('json', event.example), '');
  }
  out.push('## Rules', '');
  for (const rule of config.rules) {
    out.push(`### ${rule.id}`, '');
    if (rule.description) out.push(rule.description, '');
    const entity = ruleEntity(config, rule);
    out.push(`${describeRule(rule)}${entity ? ` *(entity: ${entity})*` : ''}`, '');
  }
  out.push('## Connectors', '');
  for (const connector of Object.values(config.connectors)) {
    const http = connector.http;
    out.push(`### ${connector.name}`, '');
    if (http) {
      out.push(
        `- request: \`${http.method} ${typeof http.url === 'string' ? http.url : JSON.stringify(http.url)}\`${http.auth ? `, auth: ${http.auth.type}` : ''}`,
      );
      out.push(
        `- success: ${formatStatuses(http.successStatuses)}; timeout ${formatDuration(connector.timeoutMs)}; idempotency header \`${connector.idempotencyHeader}\``,
      );
    } else if (connector.module) {
      const settings = connector.module.settings;
      out.push(
        `- TypeScript connector: \`${connector.module.path}\` (\`defineConnector\`; the call's body is its input)${settings !== undefined && typeof settings === 'object' && settings !== null ? `, settings: ${Object.keys(settings).join(', ')}` : ''}`,
      );
      const input = describeInput(options.connectorInputs?.[connector.name]);
      if (input) out.push(`- input: ${input}`);
      out.push(`- timeout ${formatDuration(connector.timeoutMs)}; the idempotency key is passed to \`run\``);
    }
    const retry = connector.retry;
    const retryWords = [
      retry.maximumAttempts === undefined ? undefined : `${retry.maximumAttempts} attempts`,
      retry.initialIntervalMs === undefined
        ? undefined
        : `first retry after ${formatDuration(retry.initialIntervalMs)}`,
      retry.backoffCoefficient === undefined ? undefined : `backoff ×${retry.backoffCoefficient}`,
      retry.maximumIntervalMs === undefined ? undefined : `at most ${formatDuration(retry.maximumIntervalMs)} apart`,
      retry.nonRetryableErrorTypes?.length ? `never retry ${retry.nonRetryableErrorTypes.join(', ')}` : undefined,
    ].filter((w) => w !== undefined);
    out.push(`- retry: ${retryWords.length > 0 ? retryWords.join(', ') : "Temporal's defaults"}`);
    if (connector.concurrency !== undefined || connector.rateLimit !== undefined) {
      out.push(
        `- limits: ${[connector.concurrency === undefined ? '' : `${connector.concurrency} concurrent`, connector.rateLimit === undefined ? '' : `${connector.rateLimit}/s`].filter(Boolean).join(', ')}`,
      );
    }
    const callers = config.rules.filter((rule) =>
      [...rule.then, ...rule.onFailure].some((a) => a.kind === 'call' && a.connector === connector.name),
    );
    out.push(`- called by: ${callers.length > 0 ? callers.map((r) => r.id).join(', ') : 'no rule'}`, '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** `to` string (required), `bonus` number — the top-level fields of a connector's input schema. */
function describeInput(schema: Record<string, unknown> | undefined): string | undefined {
  const properties = schema?.properties;
  if (!properties || typeof properties !== 'object') return undefined;
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  return Object.entries(properties as Record<string, { type?: unknown }>)
    .map(([name, field]) => {
      const type = typeof field.type === 'string' ? ` ${field.type}` : '';
      return `\`${name}\`${type}${required.has(name) ? ' (required)' : ''}`;
    })
    .join(', ');
}
