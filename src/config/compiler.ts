/**
 * Compiles a schema-checked configuration into the plain `CompiledConfig` the runtime reads:
 * shorthands expanded, durations in milliseconds, defaults filled in, rules indexed by the event
 * types they observe, and a content-hash version.
 */
import type {
  CallResultTypes,
  CompiledAction,
  CompiledConfig,
  CompiledConnector,
  CompiledEntity,
  CompiledEventType,
  CompiledKafkaSource,
  CompiledReducer,
  CompiledRule,
  CompiledSource,
  CompiledWebhook,
  WebhookMapping,
  EventRef,
  Json,
  OutgoingAuth,
  RuleTiming,
  SourceAuth,
} from './compiled.js';
import { contentHash } from './canonical-json.js';
import { joinFromItems, joinLeaves, parseJoinExpression } from './join-expression.js';
import type {
  ActionInput,
  ConfigInput,
  ConnectorInput,
  EventRefInput,
  KafkaSourceInput,
  ReducerInput,
  RuleInput,
  WebhookInput,
} from './schema.js';
import { compileStatuses } from './success-statuses.js';
import { eventTypesOfRule } from '../rules/rule-index.js';

export const DEFAULTS = {
  apiKeyHeader: 'x-api-key',
  hubSignatureHeader: 'x-hub-signature-256',
  method: 'POST',
  timeoutMs: 10_000,
  idempotencyHeader: 'Idempotency-Key',
  recordBodyBytes: 2048,
} as const;

function compileCompaction(
  compaction: false | { whenIdle?: number | undefined; minHistory?: number | undefined },
): NonNullable<CompiledEntity['compaction']> {
  if (compaction === false) return false;
  return {
    ...(compaction.whenIdle !== undefined && { idleMs: compaction.whenIdle }),
    ...(compaction.minHistory !== undefined && { minHistory: compaction.minHistory }),
  };
}

/** Builds the compiled configuration; the input must have passed the schema and reference checks. */
export function compileConfig(input: ConfigInput): CompiledConfig {
  const entities = Object.fromEntries(
    Object.entries(input.entities).map(([name, entity]) => [
      name,
      {
        name,
        key: entity.key,
        initial: entity.initial ?? {},
        // Only when written, so configurations without it keep their version hash.
        ...(entity.compaction !== undefined && { compaction: compileCompaction(entity.compaction) }),
      },
    ]),
  );
  const sources = Object.fromEntries(
    Object.entries(input.sources).map(([name, source]) => [name, compileSource(name, source)]),
  );
  const events = Object.fromEntries(
    Object.entries(input.events).map(([type, event]): [string, CompiledEventType] => {
      const compiled: CompiledEventType = {
        type,
        sources: event.source === undefined ? [] : typeof event.source === 'string' ? [event.source] : event.source,
        entity: event.entity,
        schema: event.schema ?? { type: 'object' },
        reduce: (event.reduce ?? []).flatMap(compileReducer),
      };
      // Only when written, so configurations without it keep their version hash.
      if (event.alsoReaches !== undefined)
        compiled.alsoReaches = Object.entries(event.alsoReaches).map(([entity, reach]) => ({
          entity,
          ...(reach.key !== undefined && { key: reach.key }),
          reduce: (reach.reduce ?? []).flatMap(compileReducer),
        }));
      if (event.example !== undefined) compiled.example = event.example;
      if (event.description !== undefined) compiled.description = event.description;
      return [type, compiled];
    }),
  );
  const connectors = Object.fromEntries(
    Object.entries(input.connectors ?? {}).map(([name, connector]) => [name, compileConnector(name, connector)]),
  );
  const declared = new Set(Object.keys(input.events));
  const rules = (input.rules ?? []).map((rule) => compileRule(rule, declared));
  const content = { name: input.name, entities, sources, events, connectors, rules, rulesByEvent: indexRules(rules) };
  return { ...content, version: contentHash(content) };
}

/** Event type → ids of rules that must see it, in rule order. */
export function indexRules(rules: readonly CompiledRule[]): Record<string, string[]> {
  const index: Record<string, string[]> = {};
  for (const rule of rules) {
    for (const type of observedTypes(rule)) (index[type] ??= []).push(rule.id);
  }
  return index;
}

/** Every event type a rule observes: triggers, and partners of within/unless/all. */
export function observedTypes(rule: CompiledRule): string[] {
  return eventTypesOfRule(rule);
}

function compileSource(name: string, source: ConfigInput['sources'][string]): CompiledSource {
  const auth = source.auth;
  let compiled: SourceAuth;
  if (auth === undefined) compiled = { type: 'webhookOnly' };
  else if (auth === 'none') compiled = { type: 'none' };
  else if ('apiKey' in auth)
    compiled = {
      type: 'apiKey',
      header: (auth.apiKey.header ?? DEFAULTS.apiKeyHeader).toLowerCase(),
      env: auth.apiKey.env,
    };
  else if ('standardWebhooks' in auth)
    compiled = { type: 'standardWebhooks', secretEnv: auth.standardWebhooks.secretEnv };
  else {
    compiled = {
      type: 'hubSignature',
      secretEnv: auth.hubSignature.secretEnv,
      header: (auth.hubSignature.header ?? DEFAULTS.hubSignatureHeader).toLowerCase(),
    };
  }
  return {
    name,
    auth: compiled,
    ...(source.webhook ? { webhook: compileWebhook(source.webhook) } : {}),
    ...(source.rateLimit === undefined ? {} : { rateLimit: source.rateLimit }),
    ...(source.kafka ? { kafka: compileKafkaSource(source.kafka) } : {}),
  };
}

/** Fills a Kafka source's defaults (preset `json`, a new group reads from the oldest record). */
function compileKafkaSource(kafka: KafkaSourceInput): CompiledKafkaSource {
  const { preset, fromBeginning, tls, sessionTimeout, ...rest } = kafka;
  return {
    ...withoutUndefined(rest),
    ...(sessionTimeout === undefined ? {} : { sessionTimeoutMs: sessionTimeout }),
    preset: preset ?? 'json',
    fromBeginning: fromBeginning ?? true,
    ...(tls === undefined ? {} : { tls: tls === true ? {} : withoutUndefined(tls) }),
  };
}

/** A webhook's mapping of one native event, with only the fields written (the config version hashes them). */
function compileMapping(mapping: {
  event: string;
  data?: string | undefined;
  subject?: string | undefined;
  if?: string | undefined;
  each?: string | undefined;
}): WebhookMapping {
  const { event, data, subject, if: condition, each } = mapping;
  return {
    event,
    ...(each !== undefined && { each }),
    ...(data !== undefined && { data }),
    ...(subject !== undefined && { subject }),
    ...(condition !== undefined && { if: condition }),
  };
}

/** Fills the webhook's own defaults; the preset's default expressions are filled at ingest. */
function compileWebhook(webhook: WebhookInput): CompiledWebhook {
  const { signature, events, tolerance, unmapped, ...rest } = webhook;
  const compiled: CompiledWebhook = {
    ...withoutUndefined(rest),
    unmapped: unmapped ?? 'ignore',
    events: Object.fromEntries(
      Object.entries(events).map(([native, mapping]) => [
        native,
        typeof mapping === 'string' ? { event: mapping } : compileMapping(mapping),
      ]),
    ),
  };
  if (tolerance !== undefined) compiled.toleranceMs = tolerance;
  if (signature) {
    compiled.signature = {
      algorithm: signature.algorithm ?? 'sha256',
      encoding: signature.encoding ?? 'hex',
      header: signature.header.toLowerCase(),
      prefix: signature.prefix ?? '',
      signed: signature.signed ?? '{body}',
      ...(signature.timestampHeader ? { timestampHeader: signature.timestampHeader.toLowerCase() } : {}),
      ...(signature.idHeader ? { idHeader: signature.idHeader.toLowerCase() } : {}),
    };
  }
  return compiled;
}

/** One reducer item may name several paths (`set: { a: 1, b: 2 }`): one compiled reducer per path. */
function compileReducer(reducer: ReducerInput): CompiledReducer[] {
  if ('set' in reducer) return pathValues('set', reducer.set);
  if ('increment' in reducer) return pathValues('increment', reducer.increment);
  if ('append' in reducer) return pathValues('append', reducer.append);
  if ('merge' in reducer) return pathValues('merge', reducer.merge);
  const remove = reducer.remove;
  if (typeof remove === 'string') return [{ op: 'remove', path: remove }];
  if (Array.isArray(remove)) return remove.map((path) => ({ op: 'remove', path }));
  return pathValues('remove', remove);
}

function pathValues(op: CompiledReducer['op'], entries: Record<string, Json>): CompiledReducer[] {
  return Object.entries(entries).map(([path, value]) => ({ op, path, value }));
}

function compileConnector(name: string, connector: ConnectorInput): CompiledConnector {
  const http = connector.http;
  const compiled: CompiledConnector = {
    name,
    ...(http && {
      http: {
        url: http.url,
        method: http.method ?? DEFAULTS.method,
        headers: http.headers ?? {},
        successStatuses: compileStatuses(http.successStatuses),
      },
    }),
    ...(connector.module !== undefined && {
      module: {
        path: connector.module,
        ...(connector.settings !== undefined && { settings: connector.settings }),
      },
    }),
    timeoutMs: connector.timeout ?? DEFAULTS.timeoutMs,
    retry: withoutUndefined({
      initialIntervalMs: connector.retry?.initialInterval,
      backoffCoefficient: connector.retry?.backoffCoefficient,
      maximumIntervalMs: connector.retry?.maximumInterval,
      maximumAttempts: connector.retry?.maximumAttempts,
      nonRetryableErrorTypes: connector.retry?.nonRetryableErrorTypes,
    }),
    idempotencyHeader: connector.idempotencyHeader ?? DEFAULTS.idempotencyHeader,
    recordBodyBytes: connector.record?.bodyBytes ?? DEFAULTS.recordBodyBytes,
    recordHeaders: (connector.record?.headers ?? []).map((h) => h.toLowerCase()),
  };
  if (http?.body !== undefined && compiled.http) compiled.http.body = http.body;
  if (http?.auth !== undefined && compiled.http) compiled.http.auth = compileOutgoingAuth(http.auth);
  if (connector.concurrency !== undefined) compiled.concurrency = connector.concurrency;
  if (connector.rateLimit !== undefined) compiled.rateLimit = connector.rateLimit;
  return compiled;
}

function compileOutgoingAuth(auth: NonNullable<NonNullable<ConnectorInput['http']>['auth']>): OutgoingAuth {
  if ('bearer' in auth) return { type: 'bearer', token: auth.bearer };
  if ('basic' in auth) return { type: 'basic', username: auth.basic.username, password: auth.basic.password };
  return { type: 'standardWebhooks', secret: auth.standardWebhooks.secret };
}

function compileEventRef(ref: EventRefInput): EventRef {
  if (typeof ref === 'string') return { type: ref };
  return ref.match === undefined ? { type: ref.event } : { type: ref.event, match: ref.match };
}

function compileRule(rule: RuleInput, declared: ReadonlySet<string>): CompiledRule {
  const timing = compileTiming(rule);
  const on =
    timing?.kind === 'all'
      ? dedupeRefs(joinLeaves(timing.join))
      : (Array.isArray(rule.on) ? rule.on : rule.on === undefined ? [] : [rule.on]).map(compileEventRef);
  const compiled: CompiledRule = {
    id: rule.id,
    on,
    once: rule.once ?? false,
    then: rule.then.map((action) => compileAction(action, declared)),
    onFailure: (rule.onFailure ?? []).map((action) => compileAction(action, declared)),
  };
  if (rule.description !== undefined) compiled.description = rule.description;
  if (rule.entity !== undefined) compiled.entity = rule.entity;
  if (rule.if !== undefined) compiled.if = rule.if;
  if (timing !== undefined) compiled.timing = timing;
  return compiled;
}

function dedupeRefs(refs: EventRef[]): EventRef[] {
  const seen = new Set<string>();
  return refs.filter((ref) => {
    const key = JSON.stringify(ref);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function compileTiming(rule: RuleInput): RuleTiming | undefined {
  if (rule.within)
    return {
      kind: 'within',
      then: compileEventRef({ event: rule.within.event, match: rule.within.match }),
      windowMs: rule.within.window,
    };
  if (rule.unless) {
    const { event, match } = rule.unless;
    // One cancelling event compiles as before (a config's version does not change); several as a list.
    return {
      kind: 'unless',
      event: Array.isArray(event)
        ? event.map((type) => compileEventRef({ event: type, match }))
        : compileEventRef({ event, match }),
      windowMs: rule.unless.window,
    };
  }
  if (rule.count)
    return { kind: 'count', count: rule.count.times, windowMs: rule.count.window, mode: rule.count.mode ?? 'reset' };
  if (rule.debounce !== undefined) return { kind: 'debounce', quietMs: rule.debounce };
  if (rule.throttle !== undefined) return { kind: 'throttle', intervalMs: rule.throttle };
  if (rule.all !== undefined) {
    const spec =
      typeof rule.all === 'object' && !Array.isArray(rule.all) ? rule.all : { of: rule.all, window: undefined };
    const join =
      typeof spec.of === 'string' ? parseJoinExpression(spec.of) : { ok: true as const, join: joinFromItems(spec.of) };
    // References already rejected unparsable joins; this is unreachable for checked input.
    if (!join.ok) throw new Error(`join does not parse: ${join.message}`);
    return spec.window === undefined
      ? { kind: 'all', join: join.join }
      : { kind: 'all', join: join.join, windowMs: spec.window };
  }
  return undefined;
}

/** The events an action records as its outcome: a call's `responded`/`failed`, a started workflow's `completed`/`failed`. */
export function resultEventTypes(action: CompiledAction): Array<{ outcome: string; type: string }> {
  const out: Array<{ outcome: string; type: string }> = [];
  if (action.kind === 'call') {
    if (action.result?.responded) out.push({ outcome: 'responded', type: action.result.responded });
    if (action.result?.failed) out.push({ outcome: 'failed', type: action.result.failed });
  }
  if (action.kind === 'start') {
    if (action.result?.completed) out.push({ outcome: 'completed', type: action.result.completed });
    if (action.result?.failed) out.push({ outcome: 'failed', type: action.result.failed });
  }
  return out;
}

/**
 * The event types a call's `result` names. `true` takes `<connector>.responded` / `<connector>.failed`, each only
 * when declared under `events` (references.ts requires at least one), so a config opts into the failure event by
 * declaring it.
 */
function compileCallResult(
  result: NonNullable<Extract<ActionInput, { call: string }>['result']>,
  connector: string,
  declared: ReadonlySet<string>,
): CallResultTypes {
  if (result === true) {
    const types: CallResultTypes = {};
    if (declared.has(`${connector}.responded`)) types.responded = `${connector}.responded`;
    if (declared.has(`${connector}.failed`)) types.failed = `${connector}.failed`;
    return types;
  }
  if (typeof result === 'string') return { responded: result };
  return withoutUndefined({ responded: result.responded, failed: result.failed });
}

function compileAction(action: ActionInput, declared: ReadonlySet<string>): CompiledAction {
  if ('call' in action) {
    return withoutUndefined({
      kind: 'call' as const,
      connector: action.call,
      path: action.path,
      method: action.method,
      headers: action.headers,
      body: action.body,
      summary: action.summary,
      result: action.result === undefined ? undefined : compileCallResult(action.result, action.call, declared),
    });
  }
  if ('emit' in action) {
    const emit = typeof action.emit === 'string' ? { type: action.emit } : action.emit;
    return withoutUndefined({
      kind: 'emit' as const,
      type: emit.type,
      data: emit.data ?? {},
      source: emit.source,
      subject: emit.subject,
    });
  }
  if ('start' in action) {
    const start = action.start;
    return withoutUndefined({
      kind: 'start' as const,
      workflow: start.workflow,
      taskQueue: start.taskQueue,
      id: start.id,
      args: start.args ?? [],
      idReusePolicy: start.idReusePolicy ?? 'rejectDuplicate',
      result: start.result === undefined ? undefined : withoutUndefined(start.result),
      timeoutMs: start.timeout,
      summary: start.summary,
    });
  }
  if ('signal' in action) {
    return {
      kind: 'signal',
      workflowId: action.signal.workflowId,
      signal: action.signal.signal,
      args: action.signal.args ?? [],
    };
  }
  if ('set' in action) {
    const reducers = Array.isArray(action.set) ? action.set.flatMap(compileReducer) : pathValues('set', action.set);
    return { kind: 'set', reducers };
  }
  return action.end === true ? { kind: 'end' } : { kind: 'end', reason: action.end };
}

/** Drops undefined fields so the compiled form is plain JSON with no `undefined` holes. */
function withoutUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}
