/**
 * An entity's address is its workflow id, `<entityType>/<key>` (the key may itself contain `/`): what the
 * CLI, the SDK, the HTTP API and the workflows all name an entity by. One parser, one error wording.
 */
import type { EntityRef } from '../rules/types.js';
import { EngineError } from './engine-error.js';

/** The address (workflow id) of an entity. */
export function entityAddress(entity: EntityRef): string {
  return `${entity.type}/${entity.key}`;
}

/** Parses `<entityType>/<key>`; undefined when the text is not an entity address. */
export function parseEntityAddress(text: string): EntityRef | undefined {
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1) return undefined;
  return { type: text.slice(0, slash), key: text.slice(slash + 1) };
}

/** Parses `<entityType>/<key>`, or throws EntityAddressError. */
export function requireEntityAddress(text: string): EntityRef {
  const entity = parseEntityAddress(text);
  if (!entity) throw new EntityAddressError(text);
  return entity;
}

/** A text that should name an entity does not have the form `<entityType>/<key>`. */
export class EntityAddressError extends EngineError {
  override readonly name = 'EntityAddressError';
  readonly code = 'ENTITY_ADDRESS_INVALID';
  constructor(readonly given: string) {
    super(`"${given}" does not name an entity: write <entityType>/<key>, e.g. team/red-foxes`);
  }
}
