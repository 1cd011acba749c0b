/**
 * Static analysis of a configuration (`hunt lint`): everything the compiler rejects, plus what is
 * legal but probably wrong — events nobody uses, rules that can never fire, `emit` loops,
 * duplicated or shadowed rules, fields the schemas do not declare, unset environment variables.
 */
import type { CompiledAction, CompiledConfig, CompiledRule, EventRef, Json, JsonObject } from './compiled.js';
import { observedTypes, resultEventTypes } from './compiler.js';
import { entitiesReachedBy, ruleEntity } from '../rules/event-reach.js';
import { keyPathsOf } from '../rules/routing.js';
import { joinLeaves } from './join-expression.js';
import { cancellers } from '../rules/timing-behaviours.js';
import { compileConfigText } from './index.js';
import { loadConfigText } from './loader.js';
import type { LoadedDocument } from './loader.js';
import { dataFieldsOf } from './pattern-syntax.js';
import type { PathSegment } from './paths.js';
import { formatPath } from './paths.js';
import type { ConfigProblem } from './problems.js';
import { sortProblems } from './problems.js';
import { valueAt } from './zod-problems.js';

export interface LintOptions {
  /** The environment to check variables against (the CLI passes process.env); omit to skip that check. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface LintFinding {
  path: PathSegment[];
  message: string;
  severity: 'error' | 'warning';
}

/** Compiles and analyses configuration text; returns every problem (errors and warnings), located. */
export function lintConfigText(text: string, file: string, options: LintOptions = {}): ConfigProblem[] {
  const compiled = compileConfigText(text, file);
  if (!compiled.ok) return compiled.problems;
  const doc = loadConfigText(text, file);
  return sortProblems([...compiled.warnings, ...lintConfig(compiled.config, options).map((f) => locate(f, doc))]);
}

function locate(finding: LintFinding, doc: LoadedDocument): ConfigProblem {
  const path = sourcePath(finding.path, doc.value);
  return {
    file: doc.file,
    ...doc.locate(path),
    path: formatPath(path),
    message: finding.message,
    severity: finding.severity,
  };
}

/** Compiled lists may come from a shorthand (`on: a.b` → `on: [a.b]`): drop indexes into what is not a list in the source. */
function sourcePath(path: PathSegment[], root: unknown): PathSegment[] {
  const result: PathSegment[] = [];
  for (const segment of path) {
    if (typeof segment === 'number' && !Array.isArray(valueAt(root, result))) break;
    result.push(segment);
  }
  return result;
}

/** The analysis proper, over a compiled configuration. Paths point into the source document. */
export function lintConfig(config: CompiledConfig, options: LintOptions = {}): LintFinding[] {
  return [
    ...unusedEvents(config),
    ...unreachableRules(config),
    ...emitCycles(config),
    ...shadowedRules(config),
    ...undeclaredFields(config),
    ...actionsAfterEnd(config),
    ...crossEntityPartners(config),
    ...unroutedEmits(config),
    ...unusedWebhookMappings(config),
    ...(options.env ? unsetEnv(config, options.env) : []),
  ];
}

function emittedTypes(config: CompiledConfig): Set<string> {
  // A call's or a started workflow's `result` events are produced by the rule as surely as its emits.
  const produced = (a: CompiledAction): string[] => {
    if (a.kind === 'emit') return [a.type];
    return resultEventTypes(a).map((r) => r.type);
  };
  return new Set(config.rules.flatMap((rule) => [...rule.then, ...rule.onFailure].flatMap(produced)));
}

/** Events no rule observes and that change no state: accepted, then nothing happens. */
function unusedEvents(config: CompiledConfig): LintFinding[] {
  return Object.values(config.events)
    .filter((event) => !config.rulesByEvent[event.type] && event.reduce.length === 0)
    .map((event) => ({
      path: ['events', event.type],
      severity: 'warning' as const,
      message: `no rule uses "${event.type}" and it changes no state: remove it or add a rule`,
    }));
}

/**
 * Native webhook mappings that lead nowhere: a mapped type no rule observes and no reducer handles (the
 * request is acknowledged, then nothing happens), a webhook source that maps nothing, and a webhook-only
 * source listed as the sender of a type none of its mappings produces (it can never send it).
 */
function unusedWebhookMappings(config: CompiledConfig): LintFinding[] {
  const findings: LintFinding[] = [];
  const emitted = emittedTypes(config);
  for (const source of Object.values(config.sources)) {
    const webhook = source.webhook;
    if (!webhook) continue;
    const at: PathSegment[] = ['sources', source.name, 'webhook'];
    const mappings = Object.entries(webhook.events);
    if (mappings.length === 0) {
      findings.push({
        path: [...at, 'events'],
        severity: 'warning',
        message:
          `source "${source.name}" takes native webhooks but maps no type: every request is ` +
          `${webhook.unmapped === 'ignore' ? 'ignored' : 'rejected'}; map a type under events or remove the webhook`,
      });
    }
    for (const [native, mapping] of mappings) {
      const event = config.events[mapping.event];
      if (!event || config.rulesByEvent[mapping.event] || event.reduce.length > 0) continue;
      findings.push({
        path: [...at, 'events', native],
        severity: 'warning',
        message:
          `"${native}" maps to "${mapping.event}", which no rule uses and no reducer handles: ` +
          'each such request is acknowledged and then changes nothing',
      });
    }
    if (source.auth.type !== 'webhookOnly') continue;
    const produced = new Set(mappings.map(([, m]) => m.event));
    for (const event of Object.values(config.events)) {
      if (!event.sources.includes(source.name) || produced.has(event.type) || emitted.has(event.type)) continue;
      findings.push({
        path: ['events', event.type, 'source'],
        severity: 'warning',
        message:
          `"${event.type}" lists source "${source.name}", which sends only native webhooks, and no mapping of ` +
          `sources.${source.name}.webhook.events produces it: that source can never send it`,
      });
    }
  }
  return findings;
}

/** Rules waiting for an event that no source sends and no rule emits. */
function unreachableRules(config: CompiledConfig): LintFinding[] {
  const emitted = emittedTypes(config);
  const findings: LintFinding[] = [];
  config.rules.forEach((rule, index) => {
    for (const type of observedTypes(rule)) {
      const event = config.events[type];
      if (!event || event.sources.length > 0 || emitted.has(type)) continue;
      findings.push({
        path: ['rules', index],
        severity: 'warning',
        message: `rule "${rule.id}" waits for "${type}", which no source sends and no rule emits: it can never happen`,
      });
    }
  });
  return findings;
}

/** A rule that re-fires without limit when its own emits come back to it. */
function isGuarded(rule: CompiledRule): boolean {
  return (
    rule.once || rule.if !== undefined || rule.timing !== undefined || rule.on.some((ref) => ref.match !== undefined)
  );
}

/**
 * Emit loops: event A triggers a rule that emits B, which triggers a rule that emits A. With no
 * guard on the way (`once`, `if`, `match`, a timing clause) that loop never stops: an error.
 */
function emitCycles(config: CompiledConfig): LintFinding[] {
  const edges = new Map<string, Array<{ to: string; rule: CompiledRule; index: number }>>();
  config.rules.forEach((rule, index) => {
    const emits = [...rule.then, ...rule.onFailure].flatMap((a) => (a.kind === 'emit' ? [a.type] : []));
    for (const from of rule.on.map((ref) => ref.type)) {
      for (const to of emits) (edges.get(from) ?? edges.set(from, []).get(from)!).push({ to, rule, index });
    }
  });
  const findings: LintFinding[] = [];
  const reported = new Set<string>();
  const walk = (
    start: string,
    at: string,
    trail: Array<{ rule: CompiledRule; index: number; event: string }>,
  ): void => {
    for (const step of edges.get(at) ?? []) {
      const next = [...trail, { rule: step.rule, index: step.index, event: step.to }];
      if (step.to === start) {
        const key = next
          .map((s) => s.rule.id)
          .sort()
          .join(',');
        if (reported.has(key)) continue;
        reported.add(key);
        const loop = [start, ...next.map((s) => `${s.event}`)].join(' → ');
        const rules = next.map((s) => s.rule.id).join(', ');
        const guarded = next.some((s) => isGuarded(s.rule));
        findings.push({
          path: ['rules', next[0]!.index],
          severity: guarded ? 'warning' : 'error',
          message: guarded
            ? `emit loop ${loop} (rules ${rules}): bounded only by conditions; make sure they end it`
            : `emit loop ${loop} (rules ${rules}) never stops: add a condition, a match or once to one of them`,
        });
      } else if (!trail.some((s) => s.event === step.to) && trail.length < 20) {
        walk(start, step.to, next);
      }
    }
  };
  for (const start of edges.keys()) walk(start, start, []);
  return findings;
}

/** Triggers and condition of a rule as one comparable key. */
function triggerKey(rule: CompiledRule): string {
  return JSON.stringify([rule.on, rule.if ?? null, rule.timing ?? null]);
}

/**
 * Rules shadowed by an earlier `once`: a later rule with the same trigger and condition as an
 * earlier once-rule that ends the entity fires at most that one time too; a later once-rule with
 * the same trigger only duplicates the earlier one.
 */
function shadowedRules(config: CompiledConfig): LintFinding[] {
  const findings: LintFinding[] = [];
  config.rules.forEach((rule, index) => {
    const earlier = config.rules.slice(0, index).find((other) => other.once && triggerKey(other) === triggerKey(rule));
    if (!earlier) return;
    const ends = earlier.then.some((a) => a.kind === 'end');
    if (rule.once) {
      findings.push({
        path: ['rules', index],
        severity: 'warning',
        message: `rule "${rule.id}" has the same trigger and condition as the earlier once-rule "${earlier.id}": merge their actions into one rule`,
      });
    } else if (ends) {
      findings.push({
        path: ['rules', index],
        severity: 'warning',
        message: `rule "${rule.id}" is shadowed by the earlier once-rule "${earlier.id}", which ends the entity on the same trigger: it can fire only once`,
      });
    }
  });
  return findings;
}

/** Whether a JSON Schema declares a dotted field path (through `properties`, `allOf`/`anyOf`/`oneOf`). */
export function schemaDeclares(schema: JsonObject, path: string): boolean {
  const [head, ...rest] = path.split('.');
  if (head === undefined) return true;
  const candidates: JsonObject[] = [schema];
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const list = schema[key];
    if (Array.isArray(list))
      candidates.push(...list.filter((s): s is JsonObject => typeof s === 'object' && s !== null && !Array.isArray(s)));
  }
  return candidates.some((candidate) => {
    const properties = candidate.properties;
    if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) return false;
    const child = properties[head];
    if (child === undefined) return false;
    if (rest.length === 0) return true;
    return (
      typeof child === 'object' && child !== null && !Array.isArray(child) && schemaDeclares(child, rest.join('.'))
    );
  });
}

/** `data.a.b` and `event.data.a.b` reads in a CEL expression (string literals skipped). */
export function dataFieldsInExpression(source: string): string[] {
  const code = source.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  const fields = new Set<string>();
  for (const match of code.matchAll(/(?<![\w.])(?:event\.)?data((?:\.[A-Za-z_]\w*)+)/g)) fields.add(match[1]!.slice(1));
  return [...fields];
}

/** Fields read by patterns and conditions that the triggering events' schemas do not declare. */
function undeclaredFields(config: CompiledConfig): LintFinding[] {
  const findings: LintFinding[] = [];
  config.rules.forEach((rule, index) => {
    rule.on.forEach((ref, refIndex) => {
      const event = config.events[ref.type];
      if (!event) return;
      const fromPattern = ref.match ? dataFieldsOf(ref.match) : [];
      const fromCondition = rule.if === undefined ? [] : dataFieldsInExpression(rule.if);
      for (const field of new Set([...fromPattern, ...fromCondition])) {
        if (schemaDeclares(event.schema, field)) continue;
        findings.push({
          path: fromPattern.includes(field) ? ['rules', index, 'on', refIndex] : ['rules', index, 'if'],
          severity: 'warning',
          message: `reads data.${field}, which the schema of "${ref.type}" does not declare: declare it under properties or fix the name`,
        });
      }
    });
  });
  return findings;
}

/** Actions written after `end` in the same list never run: the entity has ended. */
function actionsAfterEnd(config: CompiledConfig): LintFinding[] {
  const findings: LintFinding[] = [];
  config.rules.forEach((rule, index) => {
    for (const list of ['then', 'onFailure'] as const) {
      const actions = rule[list];
      const end = actions.findIndex((a) => a.kind === 'end');
      if (end < 0 || end === actions.length - 1) continue;
      findings.push({
        path: ['rules', index, list, end + 1],
        severity: 'error',
        message: `rule "${rule.id}": ${actions.length - end - 1} action(s) after \`end\` in ${list} never run (the entity has ended): move them before \`end\``,
      });
    }
  });
  return findings;
}

/**
 * Partners of `within`/`unless` and the leaves of `all` are events of the rule's own entity: an event that
 * reaches only another entity's workflow is never seen by this rule, so it can never close, cancel or join.
 */
function crossEntityPartners(config: CompiledConfig): LintFinding[] {
  const findings: LintFinding[] = [];
  config.rules.forEach((rule, index) => {
    const entity = ruleEntity(config, rule);
    const timing = rule.timing;
    if (entity === undefined || timing === undefined) return;
    const partners: Array<{ ref: EventRef; path: PathSegment[]; effect: string }> = [];
    if (timing.kind === 'within')
      partners.push({ ref: timing.then, path: ['rules', index, 'within', 'event'], effect: 'close the window' });
    if (timing.kind === 'unless') {
      const several = Array.isArray(timing.event);
      cancellers(timing).forEach((ref, i) =>
        partners.push({
          ref,
          path: ['rules', index, 'unless', 'event', ...(several ? [i] : [])],
          effect: 'cancel the deadline',
        }),
      );
    }
    if (timing.kind === 'all') {
      for (const ref of joinLeaves(timing.join))
        partners.push({ ref, path: ['rules', index, 'all'], effect: 'complete the join' });
    }
    const reported = new Set<string>();
    for (const { ref, path, effect } of partners) {
      const event = config.events[ref.type];
      if (!event || entitiesReachedBy(event).includes(entity) || reported.has(ref.type)) continue;
      reported.add(ref.type);
      const reached = entitiesReachedBy(event).map((e) => `"${e}"`);
      findings.push({
        path,
        severity: 'error',
        message: `rule "${rule.id}" runs in entity "${entity}", but "${ref.type}" reaches entit${reached.length === 1 ? 'y' : 'ies'} ${reached.join(', ')} only: it can never ${effect}`,
      });
    }
  });
  return findings;
}

/** Whether a data template may hold a value at a dotted path (a placeholder on the way may produce it). */
function templateHas(template: Json, path: string[]): boolean {
  let current: Json = template;
  for (const segment of path) {
    if (typeof current === 'string' && current.includes('{{')) return true;
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return false;
    const next: Json | undefined = current[segment];
    if (next === undefined) return false;
    current = next;
  }
  return current !== null && current !== '';
}

/** `emit` actions whose event lacks the correlation key of the entity it is routed to: it would be unrouted. */
function unroutedEmits(config: CompiledConfig): LintFinding[] {
  const findings: LintFinding[] = [];
  config.rules.forEach((rule, index) => {
    for (const list of ['then', 'onFailure'] as const) {
      rule[list].forEach((action, actionIndex) => {
        if (action.kind !== 'emit') return;
        // An event that reaches several entities needs every one of their keys.
        for (const { entity, path } of keyPathsOf(config, action.type)) {
          const [head, ...rest] = path.split('.');
          const present =
            head === 'data' ? templateHas(action.data, rest) : head === 'subject' ? action.subject !== undefined : true; // `id` and `source` are always set on an emitted event
          if (present) continue;
          findings.push({
            path: ['rules', index, list, actionIndex, 'emit'],
            severity: 'error',
            message: `rule "${rule.id}" emits "${action.type}" without ${path}, the correlation key of entity "${entity}": the event could not be routed; add it to the emitted ${head === 'data' ? 'data' : head}`,
          });
        }
      });
    }
  });
  return findings;
}

/** Environment variables the configuration needs: source secrets and `env.NAME` in connector templates. */
export function envVariables(config: CompiledConfig): Array<{ name: string; path: PathSegment[] }> {
  const found: Array<{ name: string; path: PathSegment[] }> = [];
  for (const source of Object.values(config.sources)) {
    const auth = source.auth;
    if (auth.type === 'apiKey') found.push({ name: auth.env, path: ['sources', source.name, 'auth'] });
    if (auth.type === 'standardWebhooks' || auth.type === 'hubSignature')
      found.push({ name: auth.secretEnv, path: ['sources', source.name, 'auth'] });
    const secretEnv = source.webhook?.secretEnv;
    if (secretEnv && !found.some((f) => f.name === secretEnv))
      found.push({ name: secretEnv, path: ['sources', source.name, 'webhook', 'secretEnv'] });
  }
  for (const connector of Object.values(config.connectors)) {
    const text = JSON.stringify(connector.http ?? connector.module?.settings ?? null);
    const where = connector.http ? 'http' : 'settings';
    for (const match of text.matchAll(/\benv\.([A-Za-z_]\w*)|\benv\[\\?["']([A-Za-z_]\w*)\\?["']\]/g)) {
      found.push({ name: (match[1] ?? match[2])!, path: ['connectors', connector.name, where] });
    }
  }
  return found;
}

function unsetEnv(config: CompiledConfig, env: Readonly<Record<string, string | undefined>>): LintFinding[] {
  const seen = new Set<string>();
  return envVariables(config)
    .filter(({ name }) => {
      if (seen.has(name) || (env[name] ?? '') !== '') return false;
      seen.add(name);
      return true;
    })
    .map(({ name, path }) => ({
      path,
      severity: 'warning' as const,
      message: `environment variable ${name} is referenced but not set here`,
    }));
}
