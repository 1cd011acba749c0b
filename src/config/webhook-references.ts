/**
 * Checks of the sources' `webhook` sections that need the whole document: every expression is CEL that
 * reads only the request (`headers`, `body`, `query`, `digest`); each mapped type is declared under
 * `events` and lists the source; settings belong to the preset that uses them; and a `data` map literal
 * names every property the event's schema requires (what can be known without a request).
 */
import type { ASTNode } from '@marcbachmann/cel-js';
import { compileCel } from '../rules/cel-environment.js';
import { checkExpression, rootsOf } from '../rules/expressions.js';
import { didYouMean } from './did-you-mean.js';
import type { PathSegment } from './paths.js';
import type { ReferenceIssue } from './references.js';

/** The variables a webhook expression may read (the request as received). */
export const WEBHOOK_EXPRESSION_VARIABLES = ['headers', 'body', 'query', 'digest'];
/** What a mapping with `each` adds for its `data` and `subject`: the list item and its position. */
export const EACH_VARIABLES = ['item', 'index'];

type Dict = Record<string, unknown>;
const isDict = (value: unknown): value is Dict => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every problem in the `webhook` sections of a raw configuration document. */
export function checkWebhookReferences(doc: Dict): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  const events = isDict(doc.events) ? doc.events : {};
  const error = (path: PathSegment[], message: string, suggestion?: string) =>
    issues.push({ path, message, severity: 'error', ...(suggestion ? { suggestion } : {}) });

  const expression = (value: unknown, path: PathSegment[], what: string, perItem = false): void => {
    if (typeof value !== 'string') return;
    const allowed = perItem ? [...WEBHOOK_EXPRESSION_VARIABLES, ...EACH_VARIABLES] : WEBHOOK_EXPRESSION_VARIABLES;
    const invalid = checkExpression(value);
    if (invalid !== undefined) {
      error(path, `${what} "${value}" is not valid CEL: ${invalid.split('\n')[0] ?? invalid}`);
      return;
    }
    for (const root of rootsOf(value)) {
      if (allowed.includes(root)) continue;
      const hint = EACH_VARIABLES.includes(root) ? ' (`item` and `index` need `each`)' : '';
      error(
        path,
        `${what} reads unknown variable "${root}": a webhook expression reads the request — ${allowed.join(', ')}${hint}`,
        didYouMean(root, allowed),
      );
    }
  };

  for (const [name, rawSource] of Object.entries(isDict(doc.sources) ? doc.sources : {})) {
    if (!isDict(rawSource) || !isDict(rawSource.webhook)) continue;
    const webhook = rawSource.webhook;
    const at: PathSegment[] = ['sources', name, 'webhook'];
    for (const field of ['id', 'type', 'time', 'subject'])
      expression(webhook[field], [...at, field], `webhook ${field}`);
    if (webhook.preset === 'generic' && webhook.signature === undefined) {
      error(
        [...at, 'preset'],
        'the generic preset needs `signature`: say the header, hash, encoding and what is signed',
      );
    }
    if (webhook.preset !== 'generic' && webhook.signature !== undefined) {
      error(
        [...at, 'signature'],
        `\`signature\` is for the generic preset; preset "${String(webhook.preset)}" signs its own way`,
      );
    }
    if (webhook.preset !== 'twilio' && webhook.url !== undefined) {
      error([...at, 'url'], '`url` is for the twilio preset, which signs the URL it posts to');
    }
    for (const [native, rawMapping] of Object.entries(isDict(webhook.events) ? webhook.events : {})) {
      const mappingAt: PathSegment[] = [...at, 'events', native];
      const mapping: Dict =
        typeof rawMapping === 'string' ? { event: rawMapping } : isDict(rawMapping) ? rawMapping : {};
      const perItem = mapping.each !== undefined;
      for (const field of ['data', 'subject', 'if', 'each']) {
        expression(
          mapping[field],
          typeof rawMapping === 'string' ? mappingAt : [...mappingAt, field],
          `mapping ${field}`,
          perItem && (field === 'data' || field === 'subject'),
        );
      }
      const type = mapping.event;
      if (typeof type !== 'string') continue;
      const typePath = typeof rawMapping === 'string' ? mappingAt : [...mappingAt, 'event'];
      const event = events[type];
      if (!isDict(event)) {
        const declared = Object.keys(events);
        error(typePath, `mapped event type "${type}" is not declared under events`, didYouMean(type, declared));
        continue;
      }
      const senders = Array.isArray(event.source) ? event.source : [event.source];
      if (!senders.includes(name)) {
        error(typePath, `event "${type}" does not list source "${name}" as a sender; add it to events.${type}.source`);
      }
      const missing = missingRequired(mapping.data, event.schema);
      if (missing.length > 0) {
        error(
          [...mappingAt, 'data'],
          `the data map never holds ${missing.map((k) => `"${k}"`).join(', ')}, which the schema of "${type}" requires`,
        );
      }
    }
  }
  return issues;
}

/** Required schema properties a `data` map literal does not name; empty when not knowable. */
function missingRequired(data: unknown, schema: unknown): string[] {
  if (typeof data !== 'string' || !isDict(schema) || !Array.isArray(schema.required)) return [];
  let ast: ASTNode;
  try {
    ast = compileCel(data).ast;
  } catch {
    return [];
  }
  if (ast.op !== 'map') return [];
  const keys = new Set<string>();
  for (const [key] of ast.args) {
    if (key.op !== 'value' || typeof key.args !== 'string') return []; // a computed key: not knowable
    keys.add(key.args);
  }
  return schema.required.filter((k): k is string => typeof k === 'string' && !keys.has(k));
}
