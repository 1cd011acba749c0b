/**
 * The configuration reference (docs/configuration.md), generated from the zod schema so that the
 * documentation and the accepted language cannot drift. A test compares the committed file with
 * this output; `hunt docs --reference` prints it.
 */
import { z } from 'zod';
import { configSchema } from './schema.js';

type JsonSchema = { [key: string]: unknown };

const INTRO = `# Configuration reference

<!-- Generated from src/config/schema.ts by src/config/reference-docs.ts (\`hunt docs --reference\`). Do not edit by hand. -->

An event configuration is one YAML or JSON file. \`hunt validate <file>\` checks it and prints every
problem with its file, line, column and path; \`hunt lint\`, \`hunt graph\` and \`hunt docs\` analyse,
draw and describe it. The reference example is \`examples/treasure-hunt/hunt.yaml\`.

## Value kinds

| kind | meaning |
| --- | --- |
| name | letters, digits, \`_\`, \`-\`; starts with a letter |
| event type | a dotted name, e.g. \`checkpoint.scanned\` |
| duration | \`250ms\`, \`30s\`, \`5m\`, \`2h\`, \`1d\` or combined \`1h30m\`; compiled to milliseconds |
| template | any JSON value; strings may hold \`{{ expression }}\` placeholders. A string that is exactly one placeholder yields the raw value (number, list, …); otherwise placeholders are interpolated as text |
| string template | a string with placeholders |
| CEL | a [CEL](https://cel.dev) expression |
| pattern | an EventBridge-style content pattern (below) |
| state path | a dotted path into the entity state, e.g. \`scores.total\` |
| env var | the name of an environment variable |

## Expressions and where \`env\` may appear

Conditions (\`if\`) and placeholders are CEL over \`event\` (the CloudEvents envelope: \`id\`, \`type\`,
\`source\`, \`subject\`, \`time\`, \`data\`), \`data\` (short for \`event.data\`), \`state\` (the entity state)
and \`entity\` (\`entity.type\`, \`entity.key\`). \`env\` (environment variables) is allowed **only** in connector
settings (\`url\`, \`headers\`, \`body\`, \`auth\`): it is resolved inside the activity and never enters workflow
history. Using \`env\` in a rule, a reducer or an action is a compile error.

\`hunt validate\` type-checks every condition and placeholder: \`data\` and \`event.data\` have the types of the
event's JSON Schema (\`integer\` and \`number\` are CEL \`double\`, and mix with int literals such as \`5\`),
\`state\` those of the entity's \`initial\` state and of what reducers and \`set\` actions write. A field the
schema does not declare is allowed (as \`dyn\`) unless the schema says \`additionalProperties: false\`. A type
error (\`data.severity <= "2"\` over an \`integer\` field) is reported with file, line and column.

## Patterns

A pattern mirrors the event: keys are envelope attributes and \`data\`, nested objects go deeper, and
each leaf is a list of matchers of which any one must match (a bare value means a one-item list, and a
single matcher object needs no list). Matchers: a literal (string, number, boolean, null), \`prefix\`,
\`suffix\`, \`wildcard\` (\`*\`), \`equals-ignore-case\`, \`exists: true|false\`, \`numeric: [">", 0, "<=", 5]\`
and \`anything-but\` (a value, a list, \`{ prefix }\` or \`{ suffix }\`). \`$or: [pattern, …]\` matches when
any alternative does.

\`\`\`yaml
match: { data: { checkpoint: { prefix: cp- }, score: [{ numeric: [">=", 10] }], $or: [{ team: [red] }, { team: [blue] }] } }
\`\`\`

## Timing

A rule has at most one timing clause: \`within\` (the trigger, then \`event\` within \`window\`: fires on
the second event), \`unless\` (the trigger, and \`event\` — or any of a list, \`event: [a, b]\` — does not follow within
\`window\`: fires at the deadline), \`count\` (\`times\` matching triggers within \`window\`; \`mode: reset\`, the default, starts
counting again after firing, \`mode: sliding\` fires on every further match while \`times\` are in the window),
\`debounce\` (fires once the trigger has been quiet that long), \`throttle\` (at most once per interval) or
\`all\` (a join of several events in any order: \`"a && (b || c)"\` or \`[a, { any: [b, c] }]\`, optionally
\`{ of, window }\`). \`once: true\` combines with any of them.

When \`if\` is checked: for \`unless\`, at the deadline (over the state then, with the trigger as \`event\`):
the rule fires only if the condition holds at that moment. For \`all\`, when the join completes. For every
other kind, when the trigger arrives (a \`debounce\` or \`count\` counts only triggers for which it holds).

\`end\` ends the entity after the current event: actions written after it in the same \`then\` do not run
(\`hunt lint\` reports them), and its open windows and pending deadlines are cancelled, each one named in the
decision trace.

## One event, several entities

An event type is about its \`entity\`. \`alsoReaches: { <entity>: { key?, reduce? } }\` names further entities the
same event reaches, without a second event type: an alert about an incident and about its service. Each entity's
key is read from the event at that entity's \`key\` (or at the \`key\` given under \`alsoReaches\`, when this event
holds it elsewhere). A further entity's key may be a list (\`key: data.services\` holding \`[checkout, search]\`): the
event then reaches every entity in it, once each (none for an empty list). An event lacking any one of the keys is
refused whole (ingest answers 422, the SDK throws
\`EventRejectedError\`, an emit of it is dead-lettered), so it never reaches some of its entities and not the others.
It is delivered to each entity (one signal each) and acknowledged only when every one is durable; each entity
dedupes it by \`(source, id)\` in its own memory, so a retry after a partial failure is harmless. Each entity folds
it once with its own reducers (\`reduce\` for \`entity\`, \`alsoReaches.<entity>.reduce\` for the others) and runs only
the rules that run in it: a rule runs in the entity it names (\`rules[].entity\`), else in its first trigger's
\`entity\`. A waiting caller (\`publish\`, \`?wait=true\`) gets one answer: \`rejected\` if any entity rejected it, else
\`accepted\` if any accepted it, else \`duplicate\`, with each entity's own answer under \`reached\`. The entities
handle it independently: there is no order between them. \`hunt graph\` draws an edge to each entity, \`hunt docs\`
names them and \`hunt lint\` checks an \`emit\` of such an event for every key.

## Emit ordering

Each entity handles its events one at a time, in the order its workflow receives them, each atomically. What
is fixed, and what is not, for an event a rule \`emit\`s:

1. **One firing's emits arrive in the order written.** A firing's actions run one after another; an \`emit\` is an
   activity that signals the target entity and completes once Temporal holds the signal, and only then does the
   next action start.
2. **Different firings' emits arrive in any order**, whether they come from one event or several, from one
   entity or several.
3. **An emitted event arrives later than the event that caused it, never sooner, and not in the same step.** The
   target — the emitting entity itself included — may handle any number of later input events, timer
   firings and other emits first. Its \`time\` is when it was emitted; the target handles it when it arrives, so
   the target's windows and deadlines count from then.
4. **Between entities there is no order at all.**

So an \`emit\` to the entity itself is not an update of its state: a later event may be handled before it. Use
\`set\` when a later event must see the change (\`set\` and \`end\` take effect at once, within the same event).

\`hunt simulate\` shows one of these orders: every emitted event is handled at once, before the next input event
or timer. \`hunt simulate --interleave\` runs every order that 1–3 allow: input events keep their order and times,
one firing's emits keep theirs, and an emitted event may arrive at any point after its firing (at the virtual
time of that point). It reports the distinct outcomes: each entity's final state and the actions planned.
The engine's outcome is one of them (\`test/workflows/emit-ordering.test.ts\`). Two limits of the model: an
input event that reaches several entities is handled by all of them in one step, and timers are never late.
\`examples/incidents/scenarios/storm-race.jsonl\` shows a race that matters: a storm rule that marks the storm with
an \`emit\` pages twice when that emit arrives after the sixth alert.
`;

/** Sections in reading order: definition id → heading. */
const SECTIONS = [
  'Configuration',
  'Entity',
  'Source',
  'Webhook',
  'KafkaSource',
  'Event',
  'Reducer',
  'Connector',
  'Retry',
  'Rule',
  'Action',
];

/** Generates the Markdown reference of the configuration language. */
export function renderReferenceDocs(): string {
  const root = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const defs = (root.$defs ?? {}) as Record<string, JsonSchema>;
  const out: string[] = [INTRO.trimEnd(), ''];
  const pending: Array<{ title: string; schema: JsonSchema }> = [];
  for (const id of SECTIONS) {
    const def = defs[id];
    if (!def) continue;
    out.push(`## ${id}`, '');
    if (typeof def.description === 'string') out.push(def.description, '');
    renderShape(def, id, out, pending, defs);
    // Nested objects are rendered right after their parent section.
    while (pending.length > 0) {
      const next = pending.shift()!;
      out.push(`### ${next.title}`, '');
      if (typeof next.schema.description === 'string') out.push(next.schema.description, '');
      renderShape(next.schema, next.title, out, pending, defs);
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function renderShape(
  schema: JsonSchema,
  title: string,
  out: string[],
  pending: Array<{ title: string; schema: JsonSchema }>,
  defs: Record<string, JsonSchema>,
): void {
  const variants = schema.anyOf as JsonSchema[] | undefined;
  if (variants && variants.every(isPropertyObject)) {
    out.push('One of:', '');
    for (const variant of variants) {
      const key = ((variant.required as string[] | undefined) ?? [])[0] ?? '?';
      out.push(`- \`${key}\` — see [${title}: ${key}](#${anchor(`${title}: ${key}`)})`);
      pending.push({ title: `${title}: ${key}`, schema: variant });
    }
    out.push('');
    return;
  }
  if (!isPropertyObject(schema)) return;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  out.push('| field | type | required | description |', '| --- | --- | --- | --- |');
  for (const [name, property] of Object.entries(schema.properties as Record<string, JsonSchema>)) {
    out.push(
      `| \`${name}\` | ${typeOf(property, `${title}.${name}`, pending, defs)} | ${required.has(name) ? 'yes' : ''} | ${cell(descriptionOf(property))} |`,
    );
  }
  out.push('');
}

function isPropertyObject(schema: JsonSchema): boolean {
  return schema.type === 'object' && typeof schema.properties === 'object' && schema.properties !== null;
}

/** A property's type in words, with links to the sections of named and nested definitions. */
function typeOf(
  schema: JsonSchema,
  title: string,
  pending: Array<{ title: string; schema: JsonSchema }>,
  defs: Record<string, JsonSchema>,
): string {
  if (typeof schema['x-kind'] === 'string') return schema['x-kind'];
  const ref = schema.$ref;
  if (typeof ref === 'string') {
    const id = ref.replace('#/$defs/', '');
    if (SECTIONS.includes(id)) return `[${id}](#${anchor(id)})`;
    const def = defs[id];
    return def && Array.isArray(def.anyOf) && def.anyOf.length === 6 ? 'JSON' : 'join item';
  }
  if ('const' in schema) return `\`${JSON.stringify(schema.const)}\``;
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  if (Array.isArray(schema.anyOf)) {
    const variants = schema.anyOf as JsonSchema[];
    const several = variants.filter(isPropertyObject).length > 1;
    return variants
      .map(
        (v, i) =>
          wrapperOf(v, title, pending, defs) ?? typeOf(v, several ? `${title} (${i + 1})` : title, pending, defs),
      )
      .join(' \\| ');
  }
  switch (schema.type) {
    case 'array': {
      const item = typeOf((schema.items ?? {}) as JsonSchema, title, pending, defs);
      return item.includes(' \\| ') ? `list of (${item})` : `list of ${item}`;
    }
    case 'object':
      if (isPropertyObject(schema)) {
        if (!pending.some((p) => p.title === title)) pending.push({ title, schema });
        return `[object](#${anchor(title)})`;
      }
      return typeof schema.additionalProperties === 'object' &&
        Object.keys(schema.additionalProperties as object).length > 0
        ? `map of ${typeOf(schema.additionalProperties as JsonSchema, title, pending, defs)}`
        : 'object';
    case 'integer':
      return 'integer';
    case undefined:
      return 'any';
    default:
      return String(schema.type);
  }
}

/** A one-key object such as `{ apiKey: {…} }` reads better as `{ apiKey: object }` with the inner object's section. */
function wrapperOf(
  schema: JsonSchema,
  title: string,
  pending: Array<{ title: string; schema: JsonSchema }>,
  defs: Record<string, JsonSchema>,
): string | undefined {
  if (!isPropertyObject(schema)) return undefined;
  const entries = Object.entries(schema.properties as Record<string, JsonSchema>);
  if (entries.length !== 1) return undefined;
  const [key, inner] = entries[0]!;
  return `\`{ ${key}: \`${typeOf(inner, `${title}.${key}`, pending, defs)}\` }\``;
}

function descriptionOf(schema: JsonSchema): string {
  const parts = [typeof schema.description === 'string' ? schema.description : ''];
  const bounds = [
    typeof schema.minimum === 'number' ? `≥ ${schema.minimum}` : '',
    typeof schema.exclusiveMinimum === 'number' ? `> ${schema.exclusiveMinimum}` : '',
    typeof schema.maximum === 'number' && schema.maximum < Number.MAX_SAFE_INTEGER ? `≤ ${schema.maximum}` : '',
    typeof schema.minItems === 'number' ? `at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}` : '',
  ].filter(Boolean);
  if (bounds.length > 0) parts.push(`(${bounds.join(', ')})`);
  return parts.filter(Boolean).join(' ');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');
}
