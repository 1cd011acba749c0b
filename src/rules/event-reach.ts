/**
 * Which entities an event type reaches, and which entity a rule runs in. An event type is about its
 * `entity` and, optionally, further entities (`alsoReaches`): the same event is delivered to each, and
 * each folds it once with its own reducers and dedupes it in its own memory. A rule runs in one entity:
 * the one it names (`entity`), else that of its first trigger.
 */
import type { CompiledConfig, CompiledEventType, CompiledReducer, CompiledRule } from '../config/compiled.js';

/** One entity an event reaches: the entity type, where its key is in the event (undefined: the entity's key), its reducers. */
export interface EventReach {
  entity: string;
  key?: string;
  reduce: CompiledReducer[];
}

/** Every entity an event type reaches, its own `entity` first, then `alsoReaches` in config order. */
export function reachesOf(eventType: CompiledEventType): EventReach[] {
  return [{ entity: eventType.entity, reduce: eventType.reduce }, ...(eventType.alsoReaches ?? [])];
}

/** The entity types an event type reaches, in order. */
export function entitiesReachedBy(eventType: CompiledEventType): string[] {
  return reachesOf(eventType).map((reach) => reach.entity);
}

/** True when the event type reaches more than one entity. */
export function reachesSeveral(eventType: CompiledEventType): boolean {
  return (eventType.alsoReaches?.length ?? 0) > 0;
}

/** The reducers an event of this type runs in an entity of `entityType` (none when it does not reach it). */
export function reducersFor(eventType: CompiledEventType, entityType: string): CompiledReducer[] {
  return reachesOf(eventType).find((reach) => reach.entity === entityType)?.reduce ?? [];
}

/** The entity a rule runs in: the one it names, else that of its (first) triggering event. */
export function ruleEntity(config: CompiledConfig, rule: CompiledRule): string | undefined {
  if (rule.entity !== undefined) return rule.entity;
  const first = rule.on[0];
  return first ? config.events[first.type]?.entity : undefined;
}
