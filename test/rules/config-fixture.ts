/** Hand-built compiled configurations for rule tests (no compiler involved). */
import type {
  CompiledConfig,
  CompiledEventType,
  CompiledRule,
  CompiledReducer,
  JsonObject,
} from '../../src/config/compiled.js';
import { indexRulesByEvent } from '../../src/rules/rule-index.js';
import type { EngineEvent } from '../../src/rules/types.js';

/** A rule with defaults (`once: false`, no actions) and the given fields. */
export function rule(id: string, fields: Partial<CompiledRule> & Pick<CompiledRule, 'on'>): CompiledRule {
  return { id, once: false, then: [], onFailure: [], ...fields };
}

/** A config with one entity `team` keyed by `data.teamId`, the given event types (reducers) and rules. */
export function teamConfig(
  events: Record<string, CompiledReducer[]>,
  rules: CompiledRule[],
  initial: JsonObject = { found: [], count: 0 },
): CompiledConfig {
  const eventTypes: Record<string, CompiledEventType> = {};
  for (const [type, reduce] of Object.entries(events)) {
    eventTypes[type] = { type, sources: ['test'], entity: 'team', schema: {}, reduce };
  }
  return {
    name: 'test',
    version: 'v1',
    entities: { team: { name: 'team', key: 'data.teamId', initial } },
    sources: { test: { name: 'test', auth: { type: 'none' } } },
    events: eventTypes,
    connectors: {},
    rules,
    rulesByEvent: indexRulesByEvent(rules),
  };
}

let counter = 0;

/** An event for team `t1` (override anything). */
export function event(type: string, data: JsonObject = {}, fields: Partial<EngineEvent> = {}): EngineEvent {
  counter += 1;
  return { id: `e${counter}`, source: 'test', type, specversion: '1.0', data: { teamId: 't1', ...data }, ...fields };
}

export const team = { type: 'team', key: 't1' };
export const MIN = 60_000;
