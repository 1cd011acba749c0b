import type { CompiledConfig, Json } from '../config/compiled.js';
import { reachesOf } from './event-reach.js';
import type { EngineEvent, EntityRef } from './types.js';

/** Reads a dotted path (`data.teamId`, `subject`) from a JSON value; undefined when absent. */
export function getPath(value: unknown, path: string): Json | undefined {
  let current: unknown = value;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current as Json | undefined;
}

// An entity's workflow id is its address (src/contract/entity-address.ts); these names stay for the rules.
export {
  entityAddress as entityWorkflowId,
  parseEntityAddress as parseEntityWorkflowId,
} from '../contract/entity-address.js';

/**
 * `entity`: the entity the event is about (its type's `entity`); `entities`: every entity it reaches, that one
 * first (one entry unless the type has `alsoReaches`).
 */
export type RouteResult =
  | { ok: true; entity: EntityRef; entities: EntityRef[] }
  /** `keyPath`: the correlation key that was missing, when that is the reason. */
  | { ok: false; reason: string; keyPath?: string };

/**
 * Finds the entities an event belongs to, from its type's entities and their correlation keys. An event that
 * reaches several entities must carry every one of their keys: a missing one rejects the event as a whole,
 * so it never reaches some of its entities and not the others.
 */
export function routeEvent(
  config: CompiledConfig,
  event: Pick<EngineEvent, 'type' | 'data' | 'subject' | 'source'>,
): RouteResult {
  const eventType = config.events[event.type];
  if (!eventType) return { ok: false, reason: `unknown event type "${event.type}"` };
  const entities: EntityRef[] = [];
  const keyOf = (value: Json | undefined): string | undefined =>
    typeof value === 'string' && value.length > 0
      ? value
      : typeof value === 'number' && Number.isFinite(value)
        ? String(value)
        : undefined;
  for (const [index, reach] of reachesOf(eventType).entries()) {
    const entity = config.entities[reach.entity];
    if (!entity) return { ok: false, reason: `event type "${event.type}" names unknown entity "${reach.entity}"` };
    const path = reach.key ?? entity.key;
    const value = getPath(event, path);
    // A further entity's key may be a list: the event reaches every one of them (none for an empty list).
    const keys = index > 0 && Array.isArray(value) ? value.map(keyOf) : [keyOf(value)];
    if (keys.every((key) => key !== undefined)) {
      for (const key of new Set(keys)) entities.push({ type: entity.name, key });
    } else
      return {
        ok: false,
        keyPath: path,
        reason:
          `correlation key "${path}" of entity "${entity.name}" is missing or not a non-empty string/number` +
          (index > 0 ? ' (or a list of them)' : ''),
      };
  }
  return { ok: true, entity: entities[0]!, entities };
}

/** Where an event of this type holds the key of each entity it reaches (`data.teamId`), in route order. */
export function keyPathsOf(config: CompiledConfig, type: string): Array<{ entity: string; path: string }> {
  const eventType = config.events[type];
  if (!eventType) return [];
  return reachesOf(eventType).flatMap((reach) => {
    const entity = config.entities[reach.entity];
    return entity ? [{ entity: entity.name, path: reach.key ?? entity.key }] : [];
  });
}
