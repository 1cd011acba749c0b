/**
 * EventBridge-style content patterns (`match:`), checked and normalised at compile time.
 *
 * A pattern mirrors the event: keys are envelope attributes (`source`, `subject`, …) and `data`,
 * nested objects go deeper, and leaves are lists of matchers — any one matching is enough.
 * Two conveniences over EventBridge: a bare scalar means a one-item list (`team: "red"`), and a
 * single matcher object needs no list (`checkpoint: { prefix: "cp-" }`). `$or: [pattern, …]`
 * at any level matches when one of the sub-patterns does.
 */
import type { Pattern, PatternMatcher } from './compiled.js';
import type { PathSegment } from './paths.js';

export interface PatternIssue {
  path: PathSegment[];
  message: string;
}

/** Matcher keywords, each with a check of its operand. */
const MATCHERS: Record<string, (operand: unknown) => string | undefined> = {
  prefix: (v) => (typeof v === 'string' ? undefined : 'prefix takes a string'),
  suffix: (v) => (typeof v === 'string' ? undefined : 'suffix takes a string'),
  wildcard: (v) => (typeof v === 'string' ? undefined : 'wildcard takes a string with * wildcards'),
  'equals-ignore-case': (v) => (typeof v === 'string' ? undefined : 'equals-ignore-case takes a string'),
  exists: (v) => (typeof v === 'boolean' ? undefined : 'exists takes true or false'),
  numeric: checkNumeric,
  'anything-but': checkAnythingBut,
};

/** The matcher keywords, for suggestions and docs. */
export const MATCHER_KEYWORDS = Object.keys(MATCHERS);

const NUMERIC_OPERATORS = ['<', '<=', '=', '>', '>='];

function checkNumeric(operand: unknown): string | undefined {
  const hint = 'numeric takes operator/number pairs, e.g. [">", 0, "<=", 5] or ["=", 3]';
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0 || operand.length > 4) return hint;
  for (let i = 0; i < operand.length; i += 2) {
    const op: unknown = operand[i];
    if (typeof op !== 'string' || !NUMERIC_OPERATORS.includes(op) || typeof operand[i + 1] !== 'number') return hint;
  }
  return undefined;
}

function checkAnythingBut(operand: unknown): string | undefined {
  if (isScalar(operand)) return undefined;
  if (Array.isArray(operand) && operand.length > 0 && operand.every(isScalar)) return undefined;
  if (isObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length === 1 && (keys[0] === 'prefix' || keys[0] === 'suffix') && typeof operand[keys[0]] === 'string') {
      return undefined;
    }
  }
  return 'anything-but takes a value, a list of values, { prefix: "…" } or { suffix: "…" }';
}

function isScalar(value: unknown): value is string | number | boolean | null {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for `{ prefix: "x" }`-like objects: one key, and that key a matcher keyword. */
function isMatcherObject(value: unknown): value is Record<string, unknown> {
  if (!isObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] !== undefined && keys[0] in MATCHERS;
}

/** Every problem in a pattern, with paths relative to the pattern. */
export function checkPattern(pattern: unknown, path: PathSegment[] = []): PatternIssue[] {
  if (!isObject(pattern))
    return [{ path, message: 'a pattern is an object mirroring the event, e.g. { data: { team: ["red"] } }' }];
  const issues: PatternIssue[] = [];
  if (Object.keys(pattern).length === 0)
    issues.push({ path, message: 'empty pattern: give at least one field to match' });
  for (const [key, value] of Object.entries(pattern)) {
    const at = [...path, key];
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2) {
        issues.push({ path: at, message: '$or takes a list of at least two patterns' });
      } else {
        value.forEach((sub, i) => issues.push(...checkPattern(sub, [...at, i])));
      }
    } else if (isScalar(value)) {
      continue;
    } else if (isMatcherObject(value)) {
      issues.push(...checkMatcher(value, at));
    } else if (Array.isArray(value)) {
      if (value.length === 0)
        issues.push({ path: at, message: 'empty list matches nothing: give at least one matcher' });
      value.forEach((item, i) => issues.push(...checkMatcher(item, [...at, i])));
    } else {
      issues.push(...checkPattern(value, at));
    }
  }
  return issues;
}

function checkMatcher(matcher: unknown, path: PathSegment[]): PatternIssue[] {
  if (isScalar(matcher)) return [];
  if (!isMatcherObject(matcher)) {
    return [{ path, message: `a matcher is a value or one of { ${MATCHER_KEYWORDS.join(' | ')}: … }` }];
  }
  const [keyword, operand] = Object.entries(matcher)[0]!;
  const problem = MATCHERS[keyword]!(operand);
  return problem ? [{ path: [...path, keyword], message: problem }] : [];
}

/** The canonical form of a checked pattern: every leaf a list of matchers. */
export function normalizePattern(pattern: Record<string, unknown>): Pattern {
  const result: Pattern = {};
  for (const [key, value] of Object.entries(pattern)) {
    if (key === '$or' && Array.isArray(value)) {
      // Typed as a nested value in compiled.ts; the evaluator treats a `$or` key as alternatives.
      (result as Record<string, unknown>)[key] = value.map((sub) => normalizePattern(sub as Record<string, unknown>));
    } else if (isScalar(value) || isMatcherObject(value)) {
      result[key] = [value as PatternMatcher];
    } else if (Array.isArray(value)) {
      result[key] = value as PatternMatcher[];
    } else {
      result[key] = normalizePattern(value as Record<string, unknown>);
    }
  }
  return result;
}

/** Dotted paths of the leaves under `data` in a pattern (`checkpoint`, `team.name`), for schema checks. */
export function dataFieldsOf(pattern: Pattern): string[] {
  const fields: string[] = [];
  const walk = (node: unknown, prefix: string[]): void => {
    if (!isObject(node)) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$or' && Array.isArray(value)) value.forEach((sub) => walk(sub, prefix));
      else if (Array.isArray(value)) fields.push([...prefix, key].join('.'));
      else walk(value, [...prefix, key]);
    }
  };
  const data = (pattern as Record<string, unknown>).data;
  walk(data, []);
  if (Array.isArray((pattern as Record<string, unknown>).$or)) {
    for (const sub of (pattern as Record<string, unknown[]>).$or!) fields.push(...dataFieldsOf(sub as Pattern));
  }
  return fields;
}
