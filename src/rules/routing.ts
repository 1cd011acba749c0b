import type { CompiledConfig, Json } from '../config/compiled.js';
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

export type RouteResult = { ok: true; entity: EntityRef } | { ok: false; reason: string };

/** Finds the entity an event belongs to, from its type's entity and that entity's correlation key. */
export function routeEvent(
  config: CompiledConfig,
  event: Pick<EngineEvent, 'type' | 'data' | 'subject' | 'source'>,
): RouteResult {
  const eventType = config.events[event.type];
  if (!eventType) return { ok: false, reason: `unknown event type "${event.type}"` };
  const entity = config.entities[eventType.entity];
  if (!entity) return { ok: false, reason: `event type "${event.type}" names unknown entity "${eventType.entity}"` };
  const key = getPath(event, entity.key);
  if (typeof key === 'string' && key.length > 0) return { ok: true, entity: { type: entity.name, key } };
  if (typeof key === 'number' && Number.isFinite(key))
    return { ok: true, entity: { type: entity.name, key: String(key) } };
  return {
    ok: false,
    reason: `correlation key "${entity.key}" of entity "${entity.name}" is missing or not a non-empty string/number`,
  };
}
