/**
 * The one CEL environment every rule expression runs in (conditions, templates, reducer values),
 * and the cache of parsed expressions.
 *
 * Numbers: JSON numbers reach CEL as JS numbers, which cel-js types as `double`, while CEL integer
 * literals (`5`) are `int` (BigInt). cel-js already compares the two numerically
 * (`state.wrongAnswers >= 3`, `size(state.found) == 5` work), but CEL has no mixed arithmetic, so
 * `state.score + 1` would fail with "no such overload". We register int/double overloads for
 * `+ - * / %` that compute in doubles, so the obvious expressions work and a JSON-minded author
 * gets JSON-minded results (`state.n / 2` on 3 is 1.5). Pure int arithmetic (`1 + 2`, `size(x) * 2`)
 * stays CEL int; results are turned back into plain numbers by `toJson` in conditions.ts.
 *
 * The environment holds no clock, randomness or I/O, so it runs inside Temporal's workflow sandbox.
 */
import { Environment } from '@marcbachmann/cel-js';
import type { ParseResult } from '@marcbachmann/cel-js';

type Arith = (a: number, b: number) => number;

const arithmetic: Record<string, Arith> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '%': (a, b) => a % b,
};

/**
 * A CEL environment with the engine's operators. `typed`: variables must be declared (for static checks at
 * config load; the signatures then carry result types so the checker can follow them). The runtime one is
 * untyped: every variable is dyn.
 */
export function createCelEnvironment(typed = false): Environment {
  const env = new Environment({ unlistedVariablesAreDyn: !typed, homogeneousAggregateLiterals: false });
  const result = typed ? ': double' : '';
  for (const [op, fn] of Object.entries(arithmetic)) {
    env.registerOperator(`int ${op} double${result}`, (a: bigint, b: number) => fn(Number(a), b));
    env.registerOperator(`double ${op} int${result}`, (a: number, b: bigint) => fn(a, Number(b)));
  }
  // CEL has no double modulo; JSON integers arrive as doubles, so `state.n % 2` needs one.
  env.registerOperator(`double % double${result}`, (a: number, b: number) => a % b);
  if (typed) {
    // At run time values are dyn and `state.n == 1` compares numerically; the checker must accept it too (`!=` and
    // the mirrored order follow from this one).
    env.registerOperator('double == int', (a: number, b: bigint) => a === Number(b));
  }
  return env;
}

/** The shared CEL environment (dynamic variables, mixed int/double arithmetic). */
export const celEnvironment: Environment = createCelEnvironment();

// Bounded so a stream of distinct expressions (e.g. many config versions) cannot grow memory forever.
const MAX_CACHED = 5_000;
const parsed = new Map<string, ParseResult>();

/** Parses a CEL expression once and returns the cached evaluator; throws cel-js ParseError. */
export function compileCel(source: string): ParseResult {
  const hit = parsed.get(source);
  if (hit) return hit;
  const result = celEnvironment.parse(source);
  if (parsed.size >= MAX_CACHED) {
    const oldest = parsed.keys().next();
    if (!oldest.done) parsed.delete(oldest.value);
  }
  parsed.set(source, result);
  return result;
}
