/**
 * Templates: any JSON value whose strings may hold `{{ expr }}` placeholders (CEL). A string that
 * is exactly one placeholder yields the expression's raw value (number, list, object…); otherwise
 * each placeholder is interpolated as text (strings as-is, other values as JSON text). Object keys
 * are not templated.
 */
import type { Json, Template } from '../config/compiled.js';
import { ExpressionError, evaluateExpression } from './conditions.js';
import type { ExpressionScope } from './conditions.js';
import { placeholderSpans, rootsOf } from './expressions.js';
import { setOwn } from './own-property.js';
import { EngineError } from '../contract/engine-error.js';

/** A template placeholder that failed to evaluate; `where` names the spot in the template. */
export class TemplateError extends EngineError {
  override readonly name = 'TemplateError';
  readonly code = 'TEMPLATE_FAILED';
  constructor(
    message: string,
    readonly where: string,
    readonly expression: string,
  ) {
    super(message);
  }
}

export interface RenderOptions {
  /**
   * Roots whose placeholders are left verbatim, e.g. `['env']`: the activity resolves `env.*`
   * later, so secrets never enter workflow history.
   */
  keep?: readonly string[];
  /** Where the template sits, for error messages (e.g. `rule welcome then[0].body`). */
  where?: string;
}

const rootsCache = new Map<string, readonly string[]>();

function keeps(expression: string, keep: readonly string[]): boolean {
  if (keep.length === 0) return false;
  let roots = rootsCache.get(expression);
  if (!roots) {
    try {
      roots = rootsOf(expression);
    } catch {
      roots = [];
    }
    if (rootsCache.size > 5_000) rootsCache.clear();
    rootsCache.set(expression, roots);
  }
  return roots.some((root) => keep.includes(root));
}

/** Renders a template over `scope`; throws TemplateError naming the placeholder and where it sits. */
export function renderTemplate(template: Template, scope: ExpressionScope, opts: RenderOptions = {}): Json {
  return render(template, scope, opts.keep ?? [], opts.where ?? 'template');
}

function render(template: Template, scope: ExpressionScope, keep: readonly string[], where: string): Json {
  if (typeof template === 'string') return renderString(template, scope, keep, where);
  if (Array.isArray(template)) return template.map((item, i) => render(item, scope, keep, `${where}[${i}]`));
  if (template !== null && typeof template === 'object') {
    const out: Record<string, Json> = {};
    for (const [key, value] of Object.entries(template))
      setOwn(out, key, render(value, scope, keep, `${where}.${key}`));
    return out;
  }
  return template;
}

function renderString(text: string, scope: ExpressionScope, keep: readonly string[], where: string): Json {
  if (!text.includes('{{')) return text;
  const spans = placeholderSpans(text);
  const only = spans[0];
  if (spans.length === 1 && only && only.start === 0 && only.end === text.length) {
    return keeps(only.expression, keep) ? text : evaluate(only.expression, scope, where);
  }
  let out = '';
  let from = 0;
  for (const span of spans) {
    out += text.slice(from, span.start);
    if (keeps(span.expression, keep)) out += text.slice(span.start, span.end);
    else {
      const value = evaluate(span.expression, scope, where);
      out += typeof value === 'string' ? value : JSON.stringify(value);
    }
    from = span.end;
  }
  return out + text.slice(from);
}

function evaluate(expression: string, scope: ExpressionScope, where: string): Json {
  try {
    return evaluateExpression(expression, scope);
  } catch (err) {
    const reason = err instanceof ExpressionError || err instanceof Error ? err.message : String(err);
    throw new TemplateError(`${where}: {{ ${expression} }}: ${reason}`, where, expression);
  }
}
