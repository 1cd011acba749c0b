/**
 * Turns zod issues into located, readable configuration problems. zod's own messages are written
 * for programmers ("Invalid input"); these say which field, what was expected and what was found,
 * and unions are resolved to the branch the author evidently meant.
 */
import type { z } from 'zod';
import { didYouMean } from './did-you-mean.js';
import type { LoadedDocument } from './loader.js';
import type { PathSegment } from './paths.js';
import { formatPath } from './paths.js';
import type { ConfigProblem } from './problems.js';

type Issue = z.core.$ZodIssue;

interface Draft {
  path: PathSegment[];
  message: string;
  suggestion?: string;
  /** Locate the key rather than the value (unknown or missing fields). */
  atKey?: boolean;
}

/** Located problems for every zod issue about `root` (the parsed document). */
export function problemsFromIssues(issues: readonly Issue[], doc: LoadedDocument): ConfigProblem[] {
  const drafts = issues.flatMap((issue) => draftsOf(issue, [], doc.value));
  const seen = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const draft of drafts) {
    const path = formatPath(draft.path);
    const key = `${path}\u0000${draft.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const at = doc.locate(draft.path, { key: draft.atKey ?? false });
    problems.push({ file: doc.file, ...at, path, message: draft.message, severity: 'error', ...suggestionOf(draft) });
  }
  return problems;
}

function suggestionOf(draft: Draft): { suggestion?: string } {
  return draft.suggestion === undefined ? {} : { suggestion: draft.suggestion };
}

/** Reads the raw value at a path (undefined when absent). */
export function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let current = root;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PathSegment, unknown>)[segment];
  }
  return current;
}

function draftsOf(issue: Issue, base: PathSegment[], root: unknown): Draft[] {
  const path = [...base, ...(issue.path as PathSegment[])];
  const value = valueAt(root, path);
  switch (issue.code) {
    case 'invalid_union':
      return unionDrafts(issue.errors, path, root, value);
    case 'invalid_type':
      if (value === undefined) {
        const field = path[path.length - 1];
        return [
          { path, atKey: true, message: `missing required field "${String(field)}" (${article(issue.expected)})` },
        ];
      }
      return [{ path, message: `expected ${article(issue.expected)}, got ${describe(value)}` }];
    case 'invalid_value':
      return [
        {
          path,
          message: `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${describe(value)}`,
        },
      ];
    case 'too_small':
      return [{ path, message: tooSmall(issue, value) }];
    case 'too_big':
      return [{ path, message: `must be at most ${String(issue.maximum)}${Array.isArray(value) ? ' items' : ''}` }];
    case 'not_multiple_of':
      return [{ path, message: `must be a multiple of ${String(issue.divisor)}` }];
    case 'invalid_format':
      return [
        { path, message: issue.message.startsWith('Invalid') ? `"${String(value)}" is not valid here` : issue.message },
      ];
    case 'invalid_key':
      return [
        {
          path,
          atKey: true,
          message: `invalid name "${String(path[path.length - 1])}": ${issue.issues[0]?.message ?? ''}`,
        },
      ];
    case 'invalid_element':
      return issue.issues.flatMap((inner) => draftsOf(inner, path, root));
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: [...path, key], atKey: true, message: `unknown field "${key}"` }));
    case 'custom': {
      const params = (issue.params ?? {}) as { unknownKey?: boolean; suggestion?: string };
      return [
        { path, message: issue.message, atKey: params.unknownKey ?? false, ...suggestionField(params.suggestion) },
      ];
    }
    default:
      // Every code zod declares is handled above; one from a newer zod still gets its own message.
      return [{ path, message: (issue as Issue).message }];
  }
}

function suggestionField(suggestion: string | undefined): { suggestion?: string } {
  return suggestion === undefined ? {} : { suggestion };
}

/**
 * A value matched none of a union's shapes. Branches that failed on the value's own type or on a
 * missing required key were not what the author meant; if one branch remains, its problems are
 * the real ones. Otherwise, say which shapes are accepted.
 */
function unionDrafts(
  branches: readonly (readonly Issue[])[],
  path: PathSegment[],
  root: unknown,
  value: unknown,
): Draft[] {
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  const plausible = branches.filter(
    (issues) =>
      !issues.some(
        (issue) =>
          (issue.path.length === 0 && (issue.code === 'invalid_type' || issue.code === 'invalid_value')) ||
          (issue.path.length === 1 &&
            issue.code === 'invalid_type' &&
            isObject &&
            valueAt(value, issue.path as PathSegment[]) === undefined),
      ),
  );
  if (plausible.length > 0) {
    const best = plausible.reduce((a, b) => (b.length < a.length ? b : a));
    return best.flatMap((issue) => draftsOf(issue, path, root));
  }
  const shapes = new Set<string>();
  const keys = new Set<string>();
  for (const issues of branches) {
    for (const issue of issues) {
      if (issue.path.length === 0 && issue.code === 'invalid_type') shapes.add(article(issue.expected));
      if (issue.path.length === 0 && issue.code === 'invalid_value')
        issue.values.forEach((v) => shapes.add(JSON.stringify(v)));
      if (issue.path.length === 1 && issue.code === 'invalid_type' && isObject) {
        const key = String(issue.path[0]);
        if (valueAt(value, [key]) === undefined) keys.add(key);
      }
    }
  }
  if (isObject && keys.size > 0) {
    const given = Object.keys(value);
    const suggestion = given.map((key) => didYouMean(key, keys)).find((s) => s !== undefined);
    const others = [...shapes].filter((s) => s !== 'an object');
    const alternatives = others.length > 0 ? ` (or ${others.join(', ')})` : '';
    return [
      {
        path,
        message: `expected an object with one of the fields ${[...keys].join(', ')}${alternatives}; got fields ${given.join(', ') || '(none)'}`,
        ...suggestionField(suggestion),
      },
    ];
  }
  return [
    {
      path,
      message: `expected ${[...shapes, ...[...keys].map((k) => `{ ${k}: … }`)].join(' or ')}, got ${describe(value)}`,
    },
  ];
}

function tooSmall(issue: Extract<Issue, { code: 'too_small' }>, value: unknown): string {
  if (Array.isArray(value)) return `needs at least ${String(issue.minimum)} item${issue.minimum === 1 ? '' : 's'}`;
  if (typeof value === 'string') return 'must not be empty';
  return `must be ${issue.inclusive === false ? 'greater than' : 'at least'} ${String(issue.minimum)}`;
}

function article(type: string): string {
  const names: Record<string, string> = {
    string: 'a string',
    number: 'a number',
    int: 'an integer',
    boolean: 'true or false',
    object: 'an object',
    record: 'an object',
    array: 'a list',
    null: 'null',
    never: 'nothing',
  };
  return names[type] ?? type;
}

/** A short description of a found value, for "expected …, got …". */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 40 ? `${text.slice(0, 37)}...` : text}`;
}
