/**
 * `all` joins (Argo-Events style): a join expression is flattened to its event leaves; the machine
 * remembers which leaves have been seen and asks `joinSatisfied` whether the expression holds.
 */
import type { EventRef, JoinExpr } from '../config/compiled.js';

/** Every event leaf of a join expression, in document order (a leaf's index is its identity). */
export function joinLeaves(expr: JoinExpr): EventRef[] {
  if ('event' in expr) return [expr.event];
  const parts = 'all' in expr ? expr.all : expr.any;
  return parts.flatMap(joinLeaves);
}

/** True when the expression holds given the indexes of the leaves seen. */
export function joinSatisfied(expr: JoinExpr, seen: ReadonlySet<number>): boolean {
  let next = 0;
  const walk = (node: JoinExpr): boolean => {
    if ('event' in node) return seen.has(next++);
    // Walk every child (no short-circuit) so leaf numbering stays aligned with joinLeaves.
    const results = ('all' in node ? node.all : node.any).map(walk);
    return 'all' in node ? results.every(Boolean) : results.some(Boolean);
  };
  return walk(expr);
}

/** The leaves still missing, in plain words, e.g. `"payment.succeeded", "form.signed"`. */
export function missingLeaves(expr: JoinExpr, seen: ReadonlySet<number>): string[] {
  return joinLeaves(expr)
    .map((leaf, i) => (seen.has(i) ? undefined : `"${leaf.type}"${leaf.match ? ' (matching)' : ''}`))
    .filter((text): text is string => text !== undefined);
}
