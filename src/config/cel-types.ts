/**
 * Static types for CEL (`hunt validate`): every condition and placeholder is type-checked the way CEL
 * environments are meant to be used — declare the variables, then check. `data` (and `event.data`) gets a type
 * built from the event type's JSON Schema, `state` one built from the entity's `initial` state and what reducers
 * and `set` actions write, `event` and `entity` their envelope fields. A field the schema does not declare stays
 * allowed (as `dyn`) where the schema allows additional properties, so only what is known is checked.
 *
 * Numbers: JSON numbers reach CEL as doubles at run time (cel-environment.ts), so `integer` and `number` are
 * `double` here, and CEL int literals mix with them as they do at run time.
 */
import { reducersFor, ruleEntity } from '../rules/event-reach.js';
import type { Environment } from '@marcbachmann/cel-js';
import { createCelEnvironment } from '../rules/cel-environment.js';
import { placeholdersOf } from '../rules/expressions.js';
import type { CompiledAction, CompiledConfig, CompiledReducer, CompiledRule, Json, JsonObject } from './compiled.js';
import { joinLeaves } from './join-expression.js';
import type { PathSegment } from './paths.js';

/** A type error in one expression, at its place in the configuration. */
export interface CelTypeProblem {
  path: PathSegment[];
  message: string;
}

type Fields = Record<string, string>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Builds CEL types for one environment; nested object schemas become their own named types. */
class TypeBuilder {
  private count = 0;
  constructor(
    private readonly env: Environment,
    /** Every field name any checked expression selects: open types allow them as `dyn`. */
    private readonly selected: ReadonlySet<string>,
  ) {}

  /** Registers an object type with `fields`; `open` adds every selected name it lacks as `dyn`. */
  object(hint: string, fields: Fields, open: boolean): string {
    const all: Fields = { ...fields };
    if (open) for (const name of this.selected) all[name] ??= 'dyn';
    const name = `${hint.replace(/\W/g, '_')}_${this.count++}`;
    this.env.registerType(name, { fields: all });
    return name;
  }

  /** The CEL type of a JSON Schema. */
  fromSchema(schema: Json | undefined, hint: string): string {
    if (!isObject(schema)) return 'dyn';
    const type = schema.type;
    if (Array.isArray(type) || schema.anyOf || schema.oneOf || schema.allOf || schema.enum === null) return 'dyn';
    switch (typeof type === 'string' ? type : undefined) {
      case 'string':
        return 'string';
      case 'integer':
      case 'number':
        return 'double';
      case 'boolean':
        return 'bool';
      case 'array': {
        const item = Array.isArray(schema.items) ? 'dyn' : this.fromSchema(schema.items, `${hint}_item`);
        return item === 'dyn' ? 'list' : `list<${item}>`;
      }
      case 'object': {
        const properties = schema.properties;
        if (!isObject(properties)) return 'map<string, dyn>';
        const fields: Fields = {};
        for (const [key, child] of Object.entries(properties)) fields[key] = this.fromSchema(child, `${hint}_${key}`);
        return this.object(hint, fields, schema.additionalProperties !== false);
      }
      case undefined: // no `type` (or not a string): anything
      default:
        return 'dyn';
    }
  }
}

/** The CEL type of a JSON value written into state (literal values only; anything else is `dyn`). */
function typeOfValue(value: Json | undefined): string {
  if (typeof value === 'string') return value.includes('{{') ? 'dyn' : 'string';
  if (typeof value === 'number') return 'double';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'list';
  if (isObject(value)) return 'map<string, dyn>';
  return 'dyn';
}

/** What a reducer leaves at its top-level state field. */
function typeWritten(reducer: CompiledReducer): string | undefined {
  if (reducer.path.includes('.')) return 'map<string, dyn>';
  switch (reducer.op) {
    case 'set':
      return typeOfValue(reducer.value);
    case 'increment':
      return 'double';
    case 'append':
      return 'list';
    case 'merge':
      return 'map<string, dyn>';
    case 'remove':
      return undefined;
  }
}

/** Top-level state fields of an entity and their types: `initial`, then every write; a disagreement is `dyn`. */
function stateFields(config: CompiledConfig, entity: string): Fields {
  const fields: Fields = {};
  for (const [key, value] of Object.entries(config.entities[entity]?.initial ?? {})) fields[key] = typeOfValue(value);
  const write = (reducer: CompiledReducer) => {
    const top = reducer.path.split('.')[0]!;
    const type = typeWritten(reducer);
    if (type === undefined) return;
    const known = fields[top];
    fields[top] = known === undefined || known === type ? type : 'dyn';
  };
  for (const event of Object.values(config.events)) reducersFor(event, entity).forEach(write);
  for (const rule of config.rules) {
    if (ruleEntity(config, rule) !== entity) continue;
    for (const action of [...rule.then, ...rule.onFailure]) if (action.kind === 'set') action.reducers.forEach(write);
  }
  return fields;
}

/** Field names selected anywhere in the expressions (`.name`), so open types can allow them. */
function selectedNames(expressions: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const source of expressions) {
    const code = source.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
    for (const match of code.matchAll(/\.\s*([A-Za-z_]\w*)/g)) names.add(match[1]!);
  }
  return names;
}

interface Check {
  expression: string;
  /** The event types the expression may see as `event` (one environment each). */
  eventTypes: string[];
  /** The entity whose state the expression sees (undefined: the event type's own entity). */
  entity?: string;
  path: PathSegment[];
}

/** The events a rule's actions are rendered with: the partner for `within`, a join's leaves, else the triggers. */
function firingTypes(rule: CompiledRule): string[] {
  const timing = rule.timing;
  if (timing?.kind === 'within') return [timing.then.type];
  if (timing?.kind === 'all') return [...new Set(joinLeaves(timing.join).map((ref) => ref.type))];
  return [...new Set(rule.on.map((ref) => ref.type))];
}

function actionTemplates(action: CompiledAction): Json[] {
  switch (action.kind) {
    case 'call':
      return [action.path ?? null, action.body ?? null, ...Object.values(action.headers ?? {})];
    case 'emit':
      return [action.data, action.subject ?? null];
    case 'start':
      return [action.id ?? null, ...action.args];
    case 'signal':
      return [action.workflowId, ...action.args];
    case 'set':
      return action.reducers.map((r) => r.value ?? null);
    case 'end':
      return [];
  }
}

function checksOf(config: CompiledConfig): Check[] {
  const checks: Check[] = [];
  for (const event of Object.values(config.events)) {
    for (const reducer of event.reduce) {
      for (const expression of placeholdersOf(reducer.value ?? null))
        checks.push({ expression, eventTypes: [event.type], path: ['events', event.type, 'reduce'] });
    }
    for (const reach of event.alsoReaches ?? []) {
      for (const reducer of reach.reduce) {
        for (const expression of placeholdersOf(reducer.value ?? null))
          checks.push({
            expression,
            eventTypes: [event.type],
            entity: reach.entity,
            path: ['events', event.type, 'alsoReaches', reach.entity, 'reduce'],
          });
      }
    }
  }
  config.rules.forEach((rule, index) => {
    const entity = ruleEntity(config, rule);
    const seen = entity === undefined ? {} : { entity };
    if (rule.if !== undefined) {
      const types = rule.timing?.kind === 'all' ? firingTypes(rule) : [...new Set(rule.on.map((r) => r.type))];
      checks.push({ expression: rule.if, eventTypes: types, ...seen, path: ['rules', index, 'if'] });
    }
    for (const list of ['then', 'onFailure'] as const) {
      rule[list].forEach((action, actionIndex) => {
        for (const template of actionTemplates(action)) {
          for (const expression of placeholdersOf(template)) {
            // `env.*` is resolved inside the activity, not over these variables.
            if (/(^|[^\w.])env\s*[.[]/.test(expression)) continue;
            checks.push({
              expression,
              eventTypes: firingTypes(rule),
              ...seen,
              path: ['rules', index, list, actionIndex],
            });
          }
        }
      });
    }
  });
  return checks;
}

/** Type-checks every condition and placeholder of a compiled configuration. */
export function checkCelTypes(config: CompiledConfig): CelTypeProblem[] {
  const checks = checksOf(config);
  const envOf = environments(config, selectedNames(checks.map((c) => c.expression)));
  const problems: CelTypeProblem[] = [];
  const reported = new Set<string>();
  for (const check of checks) {
    for (const eventType of check.eventTypes) {
      const result = envOf(eventType, check.entity)?.check(check.expression);
      if (!result || result.valid) continue;
      const message = `type error in \`${check.expression}\` (with event "${eventType}"): ${result.error?.message.split('\n')[0] ?? 'invalid'}`;
      const key = `${JSON.stringify(check.path)}${message}`;
      if (reported.has(key)) continue;
      reported.add(key);
      problems.push({ path: check.path, message });
      break;
    }
  }
  return problems;
}

/**
 * The CEL types a placeholder of a rule's actions has, one per event type the rule fires with (`dyn` where
 * nothing is known); none when it does not type-check. Used to check a call's body against a TypeScript
 * connector's input schema.
 */
export function createPlaceholderTyper(config: CompiledConfig): (ruleIndex: number, expression: string) => string[] {
  const envOf = environments(config, selectedNames(checksOf(config).map((c) => c.expression)));
  return (ruleIndex, expression) => {
    const rule = config.rules[ruleIndex];
    if (!rule) return [];
    const entity = ruleEntity(config, rule);
    const types: string[] = [];
    for (const eventType of firingTypes(rule)) {
      const result = envOf(eventType, entity)?.check(expression);
      if (result?.valid && result.type !== undefined) types.push(String(result.type));
    }
    return types;
  };
}

/** One CEL environment per (event type, entity), built lazily. */
function environments(
  config: CompiledConfig,
  selected: ReadonlySet<string>,
): (eventType: string, entity?: string) => Environment | undefined {
  const envs = new Map<string, Environment>();
  const envOf = (eventType: string, entity?: string): Environment | undefined => {
    const event = config.events[eventType];
    if (!event) return undefined;
    const stateOf = entity ?? event.entity;
    const envKey = JSON.stringify([eventType, stateOf]);
    let env = envs.get(envKey);
    if (env) return env;
    env = createCelEnvironment(true);
    const types = new TypeBuilder(env, selected);
    const data = types.fromSchema(event.schema, 'Data');
    const envelope: Fields = { id: 'string', type: 'string', source: 'string', specversion: 'string' };
    for (const optional of ['subject', 'time', 'datacontenttype', 'dataschema']) envelope[optional] = 'string';
    env.registerVariable('data', data);
    env.registerVariable('event', types.object('Event', { ...envelope, data }, false));
    env.registerVariable('state', types.object('State', stateFields(config, stateOf), true));
    env.registerVariable('entity', types.object('Entity', { type: 'string', key: 'string', id: 'string' }, false));
    // A call's outcome (references.ts allows them only after a `call` with `result`): shaped by the system called.
    env.registerVariable('result', 'dyn');
    env.registerVariable('results', 'map<string, dyn>');
    envs.set(envKey, env);
    return env;
  };
  return envOf;
}
