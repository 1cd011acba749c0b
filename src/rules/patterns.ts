/**
 * EventBridge-style content patterns (see `Pattern` in src/config/compiled.ts), matched against an
 * event (envelope attributes and `data`).
 *
 * - A key whose value is a nested pattern descends into that field (all keys must match).
 * - A key whose value is a list of matchers matches when the field matches ANY matcher; when the
 *   field is an array, it matches when ANY element matches.
 * - `$or: [pattern, …]` as a key (EventBridge form), or `{ $or: [...] }` as a field's value, match
 *   when any alternative matches.
 * - Matchers: literal equality (string, number, boolean, null), `prefix`, `suffix`, `wildcard`
 *   (`*` = any text, `\*` a literal star), `equals-ignore-case`, `numeric` (`['>', 0, '<=', 5]`,
 *   `['=', 3]`), `exists` (true: the field is present, false: absent), `anything-but` (a value, a
 *   list of values, `{prefix}` or `{suffix}`; like EventBridge, it requires the field to be present).
 *
 * A failed match says which field and which value failed, for decision traces.
 */
import type { Json, Pattern, PatternMatcher, PatternValue } from '../config/compiled.js';
import { showValue } from './wording.js';

export type MatchResult = { matched: true } | { matched: false; path: string; reason: string };

const MATCHED: MatchResult = { matched: true };

/** Matches `subject` (usually an EngineEvent) against a content pattern. */
export function matchPattern(pattern: Pattern, subject: unknown): MatchResult {
  return matchObject(pattern, subject, '');
}

function join(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}.${key}`;
}

function matchObject(pattern: Pattern, subject: unknown, at: string): MatchResult {
  for (const [key, expected] of Object.entries(pattern)) {
    const result =
      key === '$or' && Array.isArray(expected)
        ? matchAny(expected as unknown as Pattern[], subject, at)
        : matchValue(expected, fieldOf(subject, key), join(at, key));
    if (!result.matched) return result;
  }
  return MATCHED;
}

function fieldOf(subject: unknown, key: string): unknown {
  if (subject === null || typeof subject !== 'object' || Array.isArray(subject)) return undefined;
  return Object.prototype.hasOwnProperty.call(subject, key) ? (subject as Record<string, unknown>)[key] : undefined;
}

function matchAny(alternatives: Pattern[], subject: unknown, at: string): MatchResult {
  const failures: string[] = [];
  for (const alternative of alternatives) {
    const result = matchObject(alternative, subject, at);
    if (result.matched) return result;
    failures.push(result.reason);
  }
  return { matched: false, path: at, reason: `no alternative of $or matched (${failures.join('; ')})` };
}

function matchValue(expected: PatternValue, actual: unknown, at: string): MatchResult {
  if (Array.isArray(expected)) return matchField(expected, actual, at);
  if (isOr(expected)) return matchAny(expected.$or, actual, at);
  // A nested pattern: descend; an array of objects matches when any element matches.
  if (Array.isArray(actual)) {
    let first: MatchResult | undefined;
    for (const item of actual) {
      const result = matchObject(expected, item, at);
      if (result.matched) return result;
      first ??= result;
    }
    return first ?? { matched: false, path: at, reason: `${at} is an empty list` };
  }
  if (actual === null || typeof actual !== 'object') {
    return { matched: false, path: at, reason: `${at} is ${showValue(actual as Json | undefined)}, not an object` };
  }
  return matchObject(expected, actual, at);
}

function isOr(value: PatternValue): value is { $or: Pattern[] } {
  return typeof value === 'object' && !Array.isArray(value) && Array.isArray((value as { $or?: unknown }).$or);
}

function matchField(matchers: PatternMatcher[], actual: unknown, at: string): MatchResult {
  const candidates = Array.isArray(actual) ? (actual as unknown[]) : [actual];
  for (const matcher of matchers) {
    // exists/anything-but speak about the field, not about one array element.
    if (isKeyed(matcher, 'exists')) {
      if ((actual !== undefined) === matcher.exists) return MATCHED;
      continue;
    }
    if (Array.isArray(actual) && actual.length === 0) continue;
    if (candidates.some((value) => matchOne(matcher, value))) return MATCHED;
  }
  return {
    matched: false,
    path: at,
    reason: `${at} is ${showValue(actual as Json | undefined)}, ${describeAll(matchers)}`,
  };
}

function isKeyed<K extends string>(
  matcher: PatternMatcher,
  key: K,
): matcher is Extract<PatternMatcher, Record<K, unknown>> {
  return matcher !== null && typeof matcher === 'object' && key in matcher;
}

function matchOne(matcher: PatternMatcher, value: unknown): boolean {
  if (matcher === null || typeof matcher !== 'object') return value === matcher;
  if (isKeyed(matcher, 'prefix')) return typeof value === 'string' && value.startsWith(matcher.prefix);
  if (isKeyed(matcher, 'suffix')) return typeof value === 'string' && value.endsWith(matcher.suffix);
  if (isKeyed(matcher, 'equals-ignore-case')) {
    return typeof value === 'string' && value.toLowerCase() === matcher['equals-ignore-case'].toLowerCase();
  }
  if (isKeyed(matcher, 'wildcard')) return typeof value === 'string' && wildcardRegExp(matcher.wildcard).test(value);
  if (isKeyed(matcher, 'numeric')) return typeof value === 'number' && numericMatches(matcher.numeric, value);
  if (isKeyed(matcher, 'anything-but')) return value !== undefined && anythingBut(matcher['anything-but'], value);
  return false;
}

function anythingBut(excluded: Json | { prefix: string } | { suffix: string }, value: unknown): boolean {
  if (Array.isArray(excluded)) return !excluded.some((item) => item === value);
  if (excluded !== null && typeof excluded === 'object') {
    const { prefix, suffix } = excluded as { prefix?: unknown; suffix?: unknown };
    if (typeof prefix === 'string') return !(typeof value === 'string' && value.startsWith(prefix));
    if (typeof suffix === 'string') return !(typeof value === 'string' && value.endsWith(suffix));
    return true;
  }
  return value !== excluded;
}

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

function numericMatches(conditions: Array<string | number>, value: number): boolean {
  for (let i = 0; i + 1 < conditions.length; i += 2) {
    const compare = COMPARE[String(conditions[i])];
    const bound = conditions[i + 1];
    if (!compare || typeof bound !== 'number' || !compare(value, bound)) return false;
  }
  return true;
}

const wildcardCache = new Map<string, RegExp>();

function wildcardRegExp(wildcard: string): RegExp {
  let regexp = wildcardCache.get(wildcard);
  if (!regexp) {
    let source = '';
    for (let i = 0; i < wildcard.length; i++) {
      const ch = wildcard[i] ?? '';
      if (ch === '\\' && wildcard[i + 1] === '*') {
        source += '\\*';
        i++;
      } else if (ch === '*') source += '[\\s\\S]*';
      else source += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
    regexp = new RegExp(`^${source}$`);
    wildcardCache.set(wildcard, regexp);
  }
  return regexp;
}

function describeAll(matchers: PatternMatcher[]): string {
  if (matchers.length === 0) return 'and the pattern lists no allowed value';
  return `not ${matchers.map(describeMatcher).join(' or ')}`;
}

/** A matcher in plain words, e.g. `> 0 and <= 5`, `starting with "a"`. */
export function describeMatcher(matcher: PatternMatcher): string {
  if (matcher === null || typeof matcher !== 'object') return showValue(matcher);
  if (isKeyed(matcher, 'prefix')) return `starting with ${showValue(matcher.prefix)}`;
  if (isKeyed(matcher, 'suffix')) return `ending with ${showValue(matcher.suffix)}`;
  if (isKeyed(matcher, 'equals-ignore-case')) return `${showValue(matcher['equals-ignore-case'])} (ignoring case)`;
  if (isKeyed(matcher, 'wildcard')) return `like ${showValue(matcher.wildcard)}`;
  if (isKeyed(matcher, 'exists')) return matcher.exists ? 'present' : 'absent';
  if (isKeyed(matcher, 'numeric')) {
    const parts: string[] = [];
    for (let i = 0; i + 1 < matcher.numeric.length; i += 2)
      parts.push(`${matcher.numeric[i]} ${matcher.numeric[i + 1]}`);
    return `a number ${parts.join(' and ')}`;
  }
  if (isKeyed(matcher, 'anything-but')) return `anything but ${showValue(matcher['anything-but'])}`;
  return showValue(matcher);
}
