/**
 * Which rules must see which event types, and a per-config index the machine uses so the cost of
 * an event depends only on the rules indexed for its type.
 */
import type { CompiledConfig, CompiledRule, EventRef } from '../config/compiled.js';
import { ruleEntity } from './event-reach.js';
import { joinLeaves } from './join.js';
import { behaviourOf } from './timing-behaviours.js';

/** Event types a rule must see: `on` triggers, and its timing behaviour's partners (`within`/`unless`, `all` leaves). */
export function eventTypesOfRule(rule: CompiledRule): string[] {
  const refs: EventRef[] = [...rule.on, ...behaviourOf(rule).partners(rule.timing)];
  return [...new Set(refs.map((ref) => ref.type))];
}

/** Builds `rulesByEvent` (event type → rule ids in config order) for a list of rules. */
export function indexRulesByEvent(rules: readonly CompiledRule[]): Record<string, string[]> {
  const index: Record<string, string[]> = {};
  for (const rule of rules) {
    for (const type of eventTypesOfRule(rule)) (index[type] ??= []).push(rule.id);
  }
  return index;
}

/** A rule with what the machine precomputes about it. */
export interface IndexedRule {
  rule: CompiledRule;
  /** Position in the config: rules are evaluated, and ties broken, in this order. */
  order: number;
  /** Leaves of an `all` join (empty otherwise). */
  leaves: EventRef[];
  /** The entity the rule runs in (ruleEntity). */
  entity: string | undefined;
}

export interface ConfigIndex {
  rules: Map<string, IndexedRule>;
  /** Event type → indexed rules in config order. */
  byType: Map<string, IndexedRule[]>;
}

// Compiled configs are immutable and shared by many machines (one per entity): index each once.
const indexes = new WeakMap<CompiledConfig, ConfigIndex>();

/** The machine's index of a compiled config (built once per config object). */
export function configIndex(config: CompiledConfig): ConfigIndex {
  let index = indexes.get(config);
  if (index) return index;
  const rules = new Map<string, IndexedRule>();
  config.rules.forEach((rule, order) => {
    rules.set(rule.id, {
      rule,
      order,
      leaves: rule.timing?.kind === 'all' ? joinLeaves(rule.timing.join) : [],
      entity: ruleEntity(config, rule),
    });
  });
  const byType = new Map<string, IndexedRule[]>();
  for (const [type, ids] of Object.entries(config.rulesByEvent)) {
    const list = [...new Set(ids)]
      .map((id) => rules.get(id))
      .filter((r): r is IndexedRule => r !== undefined)
      .sort((a, b) => a.order - b.order);
    byType.set(type, list);
  }
  index = { rules, byType };
  indexes.set(config, index);
  return index;
}
