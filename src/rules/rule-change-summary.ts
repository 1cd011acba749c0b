/**
 * The per-rule summary of a backtest: for each rule, the firings only the new config makes (added), only
 * the old one makes (removed), or both make with different actions (changed), and how many entities that
 * touches. It compares the two simulations firing by firing: a firing is one rule on one entity for one
 * event (and, for a timer, one deadline). Pure.
 */
import type { Json } from '../config/compiled.js';
import { jsonEqual } from './reducers.js';
import type { SimulationResult } from './simulate.js';
import type { PlannedAction } from './types.js';

export interface RuleChange {
  ruleId: string;
  added: number;
  removed: number;
  changed: number;
  /** Entities with at least one added, removed or changed firing of this rule. */
  entities: number;
}

interface FiringRecord {
  entity: string;
  actions: PlannedAction[];
}

function firingsByRule(result: SimulationResult): Map<string, Map<string, FiringRecord>> {
  const out = new Map<string, Map<string, FiringRecord>>();
  for (const step of result.steps) {
    if (!step.entity) continue;
    for (const ruleId of step.fired) {
      const key = `${step.entity}\u0000${step.eventId}\u0000${step.kind === 'timer' ? step.at : ''}`;
      let rule = out.get(ruleId);
      if (!rule) out.set(ruleId, (rule = new Map<string, FiringRecord>()));
      rule.set(key, { entity: step.entity, actions: step.actions.filter((a) => a.ruleId === ruleId) });
    }
  }
  return out;
}

const sameActions = (a: PlannedAction[], b: PlannedAction[]) =>
  a.length === b.length &&
  a.every((x, i) => jsonEqual(x.action as unknown as Json, b[i]!.action as unknown as Json) && x.index === b[i]!.index);

/** Rules whose firings differ between `before` and `after`, sorted by rule id; unchanged rules left out. */
export function summarizeRuleChanges(before: SimulationResult, after: SimulationResult): RuleChange[] {
  const a = firingsByRule(before);
  const b = firingsByRule(after);
  const out: RuleChange[] = [];
  for (const ruleId of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const old = a.get(ruleId) ?? new Map<string, FiringRecord>();
    const now = b.get(ruleId) ?? new Map<string, FiringRecord>();
    const change: RuleChange = { ruleId, added: 0, removed: 0, changed: 0, entities: 0 };
    const entities = new Set<string>();
    for (const [key, firing] of now) {
      const was = old.get(key);
      if (!was) change.added++;
      else if (!sameActions(was.actions, firing.actions)) change.changed++;
      else continue;
      entities.add(firing.entity);
    }
    for (const [key, firing] of old) {
      if (now.has(key)) continue;
      change.removed++;
      entities.add(firing.entity);
    }
    change.entities = entities.size;
    if (change.added + change.removed + change.changed > 0) out.push(change);
  }
  return out;
}

/** The summary as a table, one line per rule. */
export function formatRuleChanges(changes: RuleChange[]): string {
  if (changes.length === 0) return 'no rule fires differently';
  const rows = changes.map((c) => [c.ruleId, `+${c.added}`, `-${c.removed}`, `~${c.changed}`, String(c.entities)]);
  const header = ['RULE', 'ADDED', 'REMOVED', 'CHANGED', 'ENTITIES'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
