/**
 * Checks each call's `body` against its TypeScript connector's zod `input`, where the body says what it is:
 * literal values against the field's JSON Schema type (and `enum`/`const`), whole placeholders (`"{{ data.x }}"`)
 * by their CEL type, text with placeholders as strings, and every required field the body never provides. What
 * cannot be known before the event arrives (a `dyn` placeholder, a body that is one placeholder) is left to the
 * run-time check every call makes.
 */
import type { InputSchema } from './connector-descriptions.js';
import { placeholderSpans } from '../rules/expressions.js';
import { createPlaceholderTyper } from './cel-types.js';
import type { CompiledConfig, Json, JsonObject } from './compiled.js';
import type { PathSegment } from './paths.js';

export interface InputProblem {
  path: PathSegment[];
  message: string;
}

type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'null' | 'array' | 'object';
type Schema = Record<string, unknown>;

/** Problems of every call to a loaded TypeScript connector whose body contradicts the connector's input. */
export function checkCallInputs(config: CompiledConfig, inputs: ReadonlyMap<string, InputSchema>): InputProblem[] {
  if (inputs.size === 0) return [];
  const typer = createPlaceholderTyper(config);
  const problems: InputProblem[] = [];
  config.rules.forEach((rule, ruleIndex) => {
    for (const list of ['then', 'onFailure'] as const) {
      rule[list].forEach((action, actionIndex) => {
        if (action.kind !== 'call') return;
        const schema = inputs.get(action.connector);
        if (!schema) return;
        const at: PathSegment[] = ['rules', ruleIndex, list, actionIndex];
        const check = new BodyCheck(action.connector, (expression) => typer(ruleIndex, expression), problems);
        if (action.body === undefined) check.value({}, schema, [...at, 'call'], '');
        else check.value(action.body, schema, [...at, 'body'], '');
      });
    }
  });
  return problems;
}

class BodyCheck {
  constructor(
    private readonly connector: string,
    private readonly celTypes: (expression: string) => string[],
    private readonly problems: InputProblem[],
  ) {}

  value(value: Json, schema: Schema, path: PathSegment[], field: string): void {
    const wanted = schemaTypes(schema);
    const where = field === '' ? "the call's body" : `body field \`${field}\``;
    const placeholder = typeof value === 'string' ? wholePlaceholder(value) : undefined;
    if (placeholder !== undefined) {
      if (wanted === undefined) return;
      const known = this.celTypes(placeholder).map(jsonTypeOfCel);
      // Known only when every event the rule fires with gives the expression one JSON type.
      if (known.length === 0 || known.some((t) => t === undefined)) return;
      const bad = known.find((t) => !accepts(wanted, t!));
      if (bad)
        this.report(
          path,
          `${where} is \`{{ ${placeholder} }}\`, ${article(bad)}, but ${this.wants()} ${describe(wanted)}`,
        );
      return;
    }
    if (typeof value === 'string' && placeholderSpans(value).length > 0) {
      if (wanted && !accepts(wanted, 'string'))
        this.report(path, `${where} is text with placeholders, a string, but ${this.wants()} ${describe(wanted)}`);
      return;
    }
    const actual = jsonTypeOf(value);
    if (wanted && !accepts(wanted, actual, value)) {
      this.report(
        path,
        `${where} is ${JSON.stringify(value)}, ${article(actual)}, but ${this.wants()} ${describe(wanted)}`,
      );
      return;
    }
    if (Array.isArray(schema.enum) && !schema.enum.some((option) => JSON.stringify(option) === JSON.stringify(value)))
      this.report(
        path,
        `${where} is ${JSON.stringify(value)}, but ${this.wants()} one of ${JSON.stringify(schema.enum)}`,
      );
    if ('const' in schema && JSON.stringify(schema.const) !== JSON.stringify(value))
      this.report(path, `${where} is ${JSON.stringify(value)}, but ${this.wants()} ${JSON.stringify(schema.const)}`);
    if (isObject(value)) this.object(value, schema, path, field);
    if (Array.isArray(value) && isObject(schema.items))
      value.forEach((item, i) => this.value(item, schema.items as Schema, [...path, i], `${field}[${i}]`));
  }

  private object(value: JsonObject, schema: Schema, path: PathSegment[], field: string): void {
    const properties = isObject(schema.properties) ? (schema.properties as Record<string, Schema>) : {};
    const required = Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === 'string') : [];
    const prefix = field === '' ? '' : `${field}.`;
    for (const name of required) {
      if (!(name in value))
        this.report(path, `the call's body never provides \`${prefix}${name}\`, which ${this.wants()} (required)`);
    }
    for (const [name, item] of Object.entries(value)) {
      const property = properties[name];
      if (property) this.value(item, property, [...path, name], `${prefix}${name}`);
      else if (schema.additionalProperties === false)
        this.report(
          [...path, name],
          `body field \`${prefix}${name}\` is not an input field of connector "${this.connector}" (fields: ${Object.keys(properties).join(', ') || 'none'})`,
        );
    }
  }

  private wants(): string {
    return `connector "${this.connector}"'s input wants`;
  }

  private report(path: PathSegment[], message: string): void {
    this.problems.push({ path, message });
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The expression of a string that is exactly one placeholder (its value keeps its type when rendered). */
function wholePlaceholder(text: string): string | undefined {
  const spans = placeholderSpans(text);
  const only = spans[0];
  return spans.length === 1 && only && only.start === 0 && only.end === text.length ? only.expression : undefined;
}

function jsonTypeOf(value: Json): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value as 'string' | 'boolean' | 'object';
}

/** The JSON type a CEL type renders as; undefined when not known (`dyn`, timestamps…). */
function jsonTypeOfCel(type: string): JsonType | undefined {
  if (type === 'string') return 'string';
  if (type === 'double' || type === 'int' || type === 'uint') return 'number';
  if (type === 'bool') return 'boolean';
  if (type === 'null') return 'null';
  if (type.startsWith('list')) return 'array';
  if (type.startsWith('map')) return 'object';
  // Object types registered from schemas and state (`Data_0`, `State_3`).
  if (/^[A-Z]\w*_\d+$/.test(type)) return 'object';
  return undefined;
}

/** The JSON types a schema accepts; undefined when it accepts anything (or it cannot be told). */
function schemaTypes(schema: Schema): Set<JsonType> | undefined {
  if (typeof schema.type === 'string') return new Set([schema.type as JsonType]);
  if (Array.isArray(schema.type)) return new Set(schema.type as JsonType[]);
  const branches = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(branches)) {
    const all = new Set<JsonType>();
    for (const branch of branches) {
      const types = isObject(branch) ? schemaTypes(branch) : undefined;
      if (!types) return undefined;
      for (const t of types) all.add(t);
    }
    return all;
  }
  if ('const' in schema) return new Set([jsonTypeOf(schema.const as Json)]);
  return undefined;
}

function accepts(wanted: Set<JsonType>, actual: JsonType, literal?: Json): boolean {
  if (wanted.has(actual)) return true;
  if (actual === 'integer' && wanted.has('number')) return true;
  // A CEL number may still be whole; a literal is known exactly.
  if (actual === 'number' && wanted.has('integer')) return literal === undefined;
  return false;
}

function describe(types: Set<JsonType>): string {
  const list = [...types];
  return list.length === 1 ? article(list[0]!) : `one of ${list.join(', ')}`;
}

function article(type: string): string {
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}
