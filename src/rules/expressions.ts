/**
 * Static helpers over rule expressions, for compile-time validation: is a CEL expression valid,
 * which `{{ expr }}` placeholders does a template hold, which variables does an expression use.
 */
import type { ASTNode } from '@marcbachmann/cel-js';
import type { Json } from '../config/compiled.js';
import { compileCel } from './cel-environment.js';

/** Returns undefined when `source` is valid CEL, else the parse error message (with a caret under the spot). */
export function checkExpression(source: string): string | undefined {
  if (source.trim() === '') return 'empty expression: write a CEL expression, e.g. "state.paid == true"';
  try {
    compileCel(source);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** A placeholder found in a template string: its expression and where it sits. */
export interface PlaceholderSpan {
  /** The CEL expression between the braces, trimmed. */
  expression: string;
  start: number;
  /** Index just past the closing `}}`. */
  end: number;
}

/**
 * Finds every `{{ expr }}` in a string. The scan skips CEL string literals and counts braces, so
 * map literals (`{{ {"a": {"b": 1}} }}`) and `"}}"` inside quotes do not end a placeholder early.
 * An opening `{{` without a closing `}}` is not a placeholder (left as text).
 */
export function placeholderSpans(text: string): PlaceholderSpan[] {
  const spans: PlaceholderSpan[] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf('{{', from);
    if (start < 0) return spans;
    const end = closingBraces(text, start + 2);
    if (end < 0) return spans;
    spans.push({ expression: text.slice(start + 2, end).trim(), start, end: end + 2 });
    from = end + 2;
  }
}

/** Index of the `}}` closing a placeholder whose body starts at `from`, or -1. */
function closingBraces(text: string, from: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '{') depth++;
    else if (ch === '}') {
      if (depth === 0 && text[i + 1] === '}') return i;
      if (depth > 0) depth--;
    }
  }
  return -1;
}

/** Every `{{ expr }}` expression in a template's strings (object keys are not templated), in document order. */
export function placeholdersOf(template: Json): string[] {
  const found: string[] = [];
  const visit = (value: Json): void => {
    if (typeof value === 'string') {
      for (const span of placeholderSpans(value)) found.push(span.expression);
    } else if (Array.isArray(value)) {
      for (const item of value) visit(item);
    } else if (value !== null && typeof value === 'object') {
      for (const item of Object.values(value)) visit(item);
    }
  };
  visit(template);
  return found;
}

/**
 * Root variables an expression reads (`state`, `event`, `env`, …). Throws the parse error for invalid
 * CEL. Macro loop variables (`x` in `list.all(x, x > 0)`) are excluded.
 */
export function rootsOf(source: string): string[] {
  const roots = new Set<string>();
  const walk = (node: ASTNode, bound: ReadonlySet<string>): void => {
    switch (node.op) {
      case 'id':
        if (!bound.has(node.args)) roots.add(node.args);
        return;
      case 'value':
        return;
      case '.':
      case '.?':
        walk(node.args[0], bound);
        return;
      case 'call':
        for (const arg of node.args[1]) walk(arg, bound);
        return;
      case 'rcall': {
        const [, target, args] = node.args;
        walk(target, bound);
        // Comprehension macros bind their first argument as a loop variable.
        const first = args[0];
        const inner = first?.op === 'id' && args.length >= 2 ? new Set([...bound, first.args]) : bound;
        args.forEach((arg, i) => {
          if (i === 0 && inner !== bound) return;
          walk(arg, inner);
        });
        return;
      }
      case 'list':
        for (const item of node.args) walk(item, bound);
        return;
      case 'map':
        for (const [k, v] of node.args) {
          walk(k, bound);
          walk(v, bound);
        }
        return;
      case '!_':
      case '-_':
        walk(node.args, bound);
        return;
      // The operators: every argument is an expression.
      case '?:':
      case '||':
      case '&&':
      case '==':
      case '!=':
      case '<':
      case '<=':
      case '>':
      case '>=':
      case 'in':
      case '+':
      case '-':
      case '*':
      case '/':
      case '%':
      case '[]':
      case '[?]':
        for (const arg of node.args) walk(arg, bound);
        return;
    }
  };
  walk(compileCel(source).ast, new Set());
  return [...roots];
}
