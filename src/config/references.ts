/**
 * Checks that need the whole document: names that must exist (event types, sources, entities,
 * connectors), rule ids, timing clauses, CEL conditions, template placeholders and where `env`
 * may appear. Runs on the raw document next to the schema check, defensively, so a broken field
 * elsewhere does not hide these problems: the author sees everything in one pass.
 */
import { checkExpression, placeholderSpans, rootsOf } from '../rules/expressions.js';
import { didYouMean } from './did-you-mean.js';
import { checkEventSchema } from './schema-verdicts.js';
import { joinLeaves, parseJoinExpression } from './join-expression.js';
import type { PathSegment } from './paths.js';
import { checkWebhookReferences } from './webhook-references.js';
import { checkKafkaReferences } from './kafka-references.js';

export interface ReferenceIssue {
  path: PathSegment[];
  message: string;
  suggestion?: string;
  severity: 'error' | 'warning';
  /** Locate the key rather than the value. */
  atKey?: boolean;
}

/** Variables a rule expression may read. `env` is only for connector settings, resolved in activities. */
export const RULE_VARIABLES = ['event', 'data', 'state', 'entity'];
const CONNECTOR_VARIABLES = [...RULE_VARIABLES, 'env'];
/** Read by the actions after a `call` with `result` in the same `then`: the outcome of the latest/each call. */
export const RESULT_VARIABLES = ['result', 'results'];
const TIMING_KEYS = ['within', 'unless', 'count', 'debounce', 'throttle', 'all'] as const;

type Dict = Record<string, unknown>;

function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function dict(value: unknown): Dict {
  return isDict(value) ? value : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Every cross-reference and expression problem in a raw configuration document. */
export function checkReferences(root: unknown): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  const doc = dict(root);
  const names = {
    entity: Object.keys(dict(doc.entities)),
    source: Object.keys(dict(doc.sources)),
    event: Object.keys(dict(doc.events)),
    connector: Object.keys(dict(doc.connectors)),
  };

  /** Reports a name that is not defined, with the closest defined one. */
  const reference = (kind: keyof typeof names, value: unknown, path: PathSegment[]): void => {
    if (typeof value !== 'string' || names[kind].includes(value)) return;
    const suggestion = didYouMean(value, names[kind]);
    const defined = names[kind].length === 0 ? `no ${kind}s are defined` : `define it under ${kind}s`;
    issues.push({
      path,
      message: `unknown ${kind} "${value}": ${defined}`,
      severity: 'error',
      ...(suggestion ? { suggestion } : {}),
    });
  };

  /** Checks every `{{ … }}` in a template: valid CEL, known variables, env only where allowed. */
  const template = (value: unknown, path: PathSegment[], allowEnv: boolean): void => {
    if (typeof value === 'string') {
      for (const span of placeholderSpans(value))
        expression(span.expression, path, allowEnv, `template "{{ ${span.expression} }}"`);
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => template(item, [...path, i], allowEnv));
    } else if (isDict(value)) {
      for (const [key, item] of Object.entries(value)) template(item, [...path, key], allowEnv);
    }
  };

  // Set while checking the actions after a `call` with `result`: they may read `result` and `results`.
  let resultsVisible = false;
  const expression = (source: string, path: PathSegment[], allowEnv: boolean, what: string): void => {
    const error = checkExpression(source);
    if (error !== undefined) {
      issues.push({ path, message: `${what} is not valid CEL: ${error.split('\n')[0] ?? error}`, severity: 'error' });
      return;
    }
    const allowed = [...(allowEnv ? CONNECTOR_VARIABLES : RULE_VARIABLES), ...(resultsVisible ? RESULT_VARIABLES : [])];
    for (const root of rootsOf(source)) {
      if (allowed.includes(root)) continue;
      if (root === 'env') {
        issues.push({
          path,
          severity: 'error',
          message:
            `${what} reads env: environment values must never enter workflow history, so env is only allowed in ` +
            'connector settings (url, headers, auth, body); move it to the connector',
        });
        continue;
      }
      const suggestion = didYouMean(root, allowed);
      issues.push({
        path,
        severity: 'error',
        message: `${what} reads unknown variable "${root}": use ${allowed.join(', ')}`,
        ...(suggestion ? { suggestion } : {}),
      });
    }
  };

  const reducers = (value: unknown, path: PathSegment[]): void => {
    list(value).forEach((reducer, i) => {
      for (const [op, body] of Object.entries(dict(reducer))) template(body, [...path, i, op], false);
    });
  };

  const eventRef = (ref: unknown, path: PathSegment[]): void => {
    if (typeof ref === 'string') reference('event', ref, path);
    else if (isDict(ref)) reference('event', ref.event, [...path, 'event']);
  };

  /** Entities an event type reaches in the raw document: its `entity`, then its `alsoReaches`. */
  const reachedBy = (type: unknown): string[] | undefined => {
    if (typeof type !== 'string' || !isDict(dict(doc.events)[type])) return undefined;
    const event = dict(dict(doc.events)[type]);
    return [event.entity, ...Object.keys(dict(event.alsoReaches))].filter((e): e is string => typeof e === 'string');
  };

  /** A rule's `entity` must be one every trigger of it reaches, or the rule could never run there. */
  const ruleEntityReached = (rule: Dict, at: PathSegment[]): void => {
    const triggers: unknown[] = Array.isArray(rule.on) ? rule.on : rule.on === undefined ? [] : [rule.on];
    triggers.forEach((ref: unknown, i) => {
      const type = isDict(ref) ? ref.event : ref;
      const reached = reachedBy(type);
      if (!reached || reached.includes(rule.entity as string)) return;
      issues.push({
        path: [...at, 'on', ...(Array.isArray(rule.on) ? [i] : [])],
        severity: 'error',
        message: `rule runs in entity "${String(rule.entity)}", but its trigger "${String(type)}" reaches ${reached.map((e) => `"${e}"`).join(', ')} only: add "${String(rule.entity)}" to events.${String(type)}.alsoReaches or change \`entity\``,
      });
    });
  };

  // Events: their sources, entity, schema and example, and reducer templates.
  for (const [type, raw] of Object.entries(dict(doc.events))) {
    const event = dict(raw);
    const at: PathSegment[] = ['events', type];
    if (Array.isArray(event.source)) event.source.forEach((s, i) => reference('source', s, [...at, 'source', i]));
    else reference('source', event.source, [...at, 'source']);
    reference('entity', event.entity, [...at, 'entity']);
    reducers(event.reduce, [...at, 'reduce']);
    for (const [entity, reach] of Object.entries(dict(event.alsoReaches))) {
      const path: PathSegment[] = [...at, 'alsoReaches', entity];
      reference('entity', entity, path);
      if (entity === event.entity)
        issues.push({
          path,
          atKey: true,
          severity: 'error',
          message: `"${type}" is about entity "${entity}" already (\`entity\`): list only further entities under alsoReaches`,
        });
      reducers(dict(reach).reduce, [...path, 'reduce']);
    }
    if (isDict(event.schema)) {
      const verdict = checkEventSchema(event.schema, event.example);
      if (!verdict.ok) {
        issues.push({
          path: [...at, 'schema'],
          message: `not a valid JSON Schema: ${verdict.schemaError}`,
          severity: 'error',
        });
      } else if (verdict.exampleErrors.length > 0) {
        issues.push({
          path: [...at, 'example'],
          message: `example does not match the schema: ${verdict.exampleErrors.join('; ')}`,
          severity: 'error',
        });
      }
    }
  }

  // Connectors: templates may read env here, and only here.
  for (const [name, raw] of Object.entries(dict(doc.connectors))) {
    const http = dict(dict(raw).http);
    for (const field of ['url', 'headers', 'body', 'auth'])
      template(http[field], ['connectors', name, 'http', field], true);
    template(dict(raw).settings, ['connectors', name, 'settings'], true);
  }

  // Rules.
  const firstIndexOfId = new Map<string, number>();
  list(doc.rules).forEach((raw, index) => {
    const rule = dict(raw);
    const at: PathSegment[] = ['rules', index];
    if (typeof rule.id === 'string') {
      const first = firstIndexOfId.get(rule.id);
      if (first === undefined) firstIndexOfId.set(rule.id, index);
      else
        issues.push({
          path: [...at, 'id'],
          message: `duplicate rule id "${rule.id}" (first used by rules[${first}]): ids must be unique`,
          severity: 'error',
        });
    }
    if (Array.isArray(rule.on)) rule.on.forEach((ref, i) => eventRef(ref, [...at, 'on', i]));
    else if (rule.on !== undefined) eventRef(rule.on, [...at, 'on']);
    if (rule.entity !== undefined) {
      reference('entity', rule.entity, [...at, 'entity']);
      ruleEntityReached(rule, at);
    }

    const timings = TIMING_KEYS.filter((key) => rule[key] !== undefined);
    if (timings.length > 1) {
      issues.push({
        path: [...at, timings[1]!],
        atKey: true,
        message: `a rule has at most one timing clause, found ${timings.join(' and ')}: split it into two rules`,
        severity: 'error',
      });
    }
    if (rule.all !== undefined && rule.on !== undefined) {
      issues.push({
        path: [...at, 'on'],
        atKey: true,
        message: 'a rule with `all` takes its triggers from the join: remove `on`',
        severity: 'error',
      });
    }
    if (rule.all === undefined && rule.on === undefined) {
      issues.push({
        path: at,
        message: 'missing `on`: say which event type(s) trigger the rule (or use `all`)',
        severity: 'error',
      });
    }
    for (const key of ['within', 'unless'] as const) {
      if (!isDict(rule[key])) continue;
      const partner = rule[key].event;
      // `unless` may name several cancelling events.
      if (Array.isArray(partner)) partner.forEach((type, i) => reference('event', type, [...at, key, 'event', i]));
      else reference('event', partner, [...at, key, 'event']);
    }
    if (rule.all !== undefined) {
      const join = isDict(rule.all) ? rule.all.of : rule.all;
      const joinPath: PathSegment[] = isDict(rule.all) ? [...at, 'all', 'of'] : [...at, 'all'];
      if (typeof join === 'string') {
        const parsed = parseJoinExpression(join);
        if (!parsed.ok)
          issues.push({
            path: joinPath,
            message: `join "${join}" at column ${parsed.offset + 1}: ${parsed.message}`,
            severity: 'error',
          });
        else joinLeaves(parsed.join).forEach((ref) => reference('event', ref.type, joinPath));
      } else {
        joinItems(join, joinPath, eventRef);
      }
    }
    if (typeof rule.if === 'string') expression(rule.if, [...at, 'if'], false, 'condition');

    const ruleEntity = ruleEntityOf(doc, rule);
    const actions = (value: unknown, path: PathSegment[]): void => {
      resultsVisible = false;
      list(value).forEach((raw, i) => {
        const action = dict(raw);
        const actionAt = [...path, i];
        if ('call' in action) {
          reference('connector', action.call, [...actionAt, 'call']);
          for (const field of ['path', 'headers', 'body']) template(action[field], [...actionAt, field], false);
          if (action.result !== undefined) {
            issues.push(...callResultIssues(doc, action.call, action.result, ruleEntity, [...actionAt, 'result']));
            // Only `then` runs in order after the call; onFailure actions are rendered when the rule fires.
            if (path[path.length - 1] === 'then') resultsVisible = true;
          }
        }
        if ('emit' in action) {
          const emit = action.emit;
          if (typeof emit === 'string') reference('event', emit, [...actionAt, 'emit']);
          else if (isDict(emit)) {
            reference('event', emit.type, [...actionAt, 'emit', 'type']);
            reference('source', emit.source, [...actionAt, 'emit', 'source']);
            template(emit.data, [...actionAt, 'emit', 'data'], false);
            template(emit.subject, [...actionAt, 'emit', 'subject'], false);
          }
        }
        if ('start' in action && isDict(action.start)) {
          const start = action.start;
          template(start.id, [...actionAt, 'start', 'id'], false);
          template(start.args, [...actionAt, 'start', 'args'], false);
          if (isDict(start.result)) {
            for (const key of ['completed', 'failed']) {
              if (start.result[key] === undefined) continue;
              issues.push(
                ...callResultIssues(doc, undefined, start.result[key], ruleEntity, [
                  ...actionAt,
                  'start',
                  'result',
                  key,
                ]),
              );
            }
          }
          if (start.timeout !== undefined && start.result === undefined) {
            issues.push({
              path: [...actionAt, 'start', 'timeout'],
              atKey: true,
              severity: 'error',
              message: "timeout bounds the wait for the workflow's outcome: add `result` (the events it comes back as)",
            });
          }
        }
        if ('signal' in action && isDict(action.signal)) {
          template(action.signal.workflowId, [...actionAt, 'signal', 'workflowId'], false);
          template(action.signal.args, [...actionAt, 'signal', 'args'], false);
        }
        if ('set' in action) {
          if (Array.isArray(action.set)) reducers(action.set, [...actionAt, 'set']);
          else template(action.set, [...actionAt, 'set'], false);
        }
      });
    };
    actions(rule.then, [...at, 'then']);
    actions(rule.onFailure, [...at, 'onFailure']);
    resultsVisible = false;
    const calls = [...list(rule.then), ...list(rule.onFailure)].some((a) => isDict(a) && 'call' in a);
    if (list(rule.onFailure).length > 0 && !calls) {
      issues.push({
        path: [...at, 'onFailure'],
        atKey: true,
        message: 'onFailure runs when a `call` fails, but this rule makes no call',
        severity: 'warning',
      });
    }
  });
  issues.push(...checkWebhookReferences(doc));
  issues.push(...checkKafkaReferences(doc));
  return issues;
}

/** The entity of a rule's first `on` trigger, when the document says. */
function ruleEntityOf(doc: Dict, rule: Dict): string | undefined {
  const first: unknown = Array.isArray(rule.on) ? rule.on[0] : rule.on;
  const type = typeof first === 'string' ? first : isDict(first) ? first.event : undefined;
  const entity = typeof type === 'string' ? dict(dict(doc.events)[type]).entity : undefined;
  return typeof entity === 'string' ? entity : undefined;
}

/**
 * A call's `result` names event types of the rule's own entity, declared under `events` (their reducers and rules
 * handle the outcome). `true` needs `<connector>.responded` or `<connector>.failed` declared.
 */
function callResultIssues(
  doc: Dict,
  connector: unknown,
  result: unknown,
  entity: string | undefined,
  path: PathSegment[],
): ReferenceIssue[] {
  const events = dict(doc.events);
  const declared = Object.keys(events);
  const named: Array<{ type: unknown; path: PathSegment[] }> = [];
  if (result === true) {
    const defaults = [`${String(connector)}.responded`, `${String(connector)}.failed`];
    const present = defaults.filter((type) => declared.includes(type));
    if (present.length === 0) {
      return [
        {
          path,
          severity: 'error',
          message:
            `result: true records the call's outcome as ${defaults.join(' / ')}, but neither is declared: declare ` +
            `them under events (entity, reduce; no source), or name the event types here`,
        },
      ];
    }
    present.forEach((type) => named.push({ type, path }));
  } else if (typeof result === 'string') named.push({ type: result, path });
  else if (isDict(result)) {
    for (const key of ['responded', 'failed'])
      if (result[key] !== undefined) named.push({ type: result[key], path: [...path, key] });
  }
  const issues: ReferenceIssue[] = [];
  for (const { type, path: at } of named) {
    if (typeof type !== 'string') continue;
    if (!declared.includes(type)) {
      const suggestion = didYouMean(type, declared);
      issues.push({
        path: at,
        severity: 'error',
        message: `unknown event "${type}": an action's result is an event of the entity; declare it under events (entity, reduce; no source)`,
        ...(suggestion ? { suggestion } : {}),
      });
      continue;
    }
    const resultEntity = dict(events[type]).entity;
    if (entity !== undefined && typeof resultEntity === 'string' && resultEntity !== entity) {
      issues.push({
        path: at,
        severity: 'error',
        message: `event "${type}" is about entity "${resultEntity}", but this rule runs for "${entity}": an action's result goes to the entity whose rule ran it`,
      });
    }
  }
  return issues;
}

function joinItems(value: unknown, path: PathSegment[], eventRef: (ref: unknown, path: PathSegment[]) => void): void {
  list(value).forEach((item, i) => {
    const at = [...path, i];
    if (isDict(item) && (Array.isArray(item.any) || Array.isArray(item.all))) {
      joinItems(item.any ?? item.all, [...at, Array.isArray(item.any) ? 'any' : 'all'], eventRef);
    } else {
      eventRef(item, at);
    }
  });
}
