/**
 * CEL evaluation for rule conditions, template placeholders and reducer values.
 *
 * Expressions are parsed once per source string (cel-environment.ts) and evaluated over a plain
 * JSON scope: `{ event, data, state, entity }` for rules (`env` only inside activities). Results are
 * normalized to JSON (`toJson`): BigInt → number, timestamps → ISO strings, durations → ms, so
 * nothing non-JSON leaves this module. See cel-environment.ts for how JSON numbers and CEL ints mix.
 */
import type { Json } from '../config/compiled.js';
import { compileCel } from './cel-environment.js';
import { setOwn } from './own-property.js';
import { EngineError } from '../contract/engine-error.js';

/** A CEL expression that failed to parse or evaluate, or returned something a caller cannot use. */
export class ExpressionError extends EngineError {
  override readonly name = 'ExpressionError';
  constructor(
    message: string,
    readonly code: 'EXPRESSION_INVALID' | 'EXPRESSION_FAILED' | 'EXPRESSION_NOT_BOOLEAN' | 'EXPRESSION_NOT_JSON',
    readonly expression: string,
  ) {
    super(message);
  }
}

/** The variables an expression sees. */
export type ExpressionScope = Readonly<Record<string, Json>>;

/** Evaluates a CEL expression over `scope` and returns its value as JSON; throws ExpressionError. */
export function evaluateExpression(source: string, scope: ExpressionScope): Json {
  let evaluator;
  try {
    evaluator = compileCel(source);
  } catch (err) {
    throw new ExpressionError(`invalid CEL "${source}": ${summaryOf(err)}`, 'EXPRESSION_INVALID', source);
  }
  let raw: unknown;
  try {
    raw = evaluator(scope);
  } catch (err) {
    throw new ExpressionError(`"${source}" failed: ${summaryOf(err)}`, 'EXPRESSION_FAILED', source);
  }
  return toJson(raw, source);
}

/** Evaluates a CEL condition; throws ExpressionError unless it yields a boolean. */
export function evaluateCondition(source: string, scope: ExpressionScope): boolean {
  const value = evaluateExpression(source, scope);
  if (typeof value !== 'boolean') {
    throw new ExpressionError(
      `"${source}" must be true or false but gave ${JSON.stringify(value)}; compare it, e.g. "${source} == …"`,
      'EXPRESSION_NOT_BOOLEAN',
      source,
    );
  }
  return value;
}

function summaryOf(err: unknown): string {
  if (err instanceof Error) {
    const summary = (err as { summary?: unknown }).summary;
    return typeof summary === 'string' ? summary : err.message;
  }
  return String(err);
}

/** Converts a CEL result to JSON: BigInt → number, Date → ISO text, Duration → ms, Map → object. */
export function toJson(value: unknown, source = ''): Json {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'bigint':
      return Number(value);
    case 'number':
      if (Number.isFinite(value)) return value;
      throw new ExpressionError(`"${source}" gave ${value}, which JSON cannot hold`, 'EXPRESSION_NOT_JSON', source);
    case 'undefined':
      return null;
    case 'object':
      break;
    case 'function':
    case 'symbol':
      throw new ExpressionError(`"${source}" gave a ${typeof value}, not JSON`, 'EXPRESSION_NOT_JSON', source);
  }
  if (value === null) return null;
  if (Array.isArray(value)) return value.map((item) => toJson(item, source));
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Map) {
    const out: Record<string, Json> = {};
    for (const [k, v] of value as Map<unknown, unknown>) setOwn(out, String(k), toJson(v, source));
    return out;
  }
  if (value instanceof Uint8Array) return Array.from(value);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) setOwn(out, k, toJson(v, source));
    return out;
  }
  // cel-js Duration (seconds + nanos) → milliseconds, the unit durations use everywhere else.
  const { seconds, nanos } = value as { seconds?: unknown; nanos?: unknown };
  if ((typeof seconds === 'number' || typeof seconds === 'bigint') && typeof nanos === 'number') {
    return Number(seconds) * 1000 + Math.floor(nanos / 1e6);
  }
  // Optional values and uint wrappers expose valueOf / hasValue.
  const optional = value as { hasValue?: () => boolean; value?: () => unknown };
  if (typeof optional.hasValue === 'function' && typeof optional.value === 'function') {
    return optional.hasValue() ? toJson(optional.value(), source) : null;
  }
  const primitive: unknown = (value as { valueOf(): unknown }).valueOf();
  if (primitive !== value) return toJson(primitive, source);
  throw new ExpressionError(`"${source}" gave a value JSON cannot hold`, 'EXPRESSION_NOT_JSON', source);
}
