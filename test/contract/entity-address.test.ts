import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../src/contract/engine-error.js';
import {
  entityAddress,
  EntityAddressError,
  parseEntityAddress,
  requireEntityAddress,
} from '../../src/contract/entity-address.js';

describe('entity addresses', () => {
  it('parse back to the entity they were made from, keys with slashes included', () => {
    const type = fc.string({ minLength: 1 }).filter((t) => !t.includes('/'));
    fc.assert(
      fc.property(type, fc.string({ minLength: 1 }), (entityType, key) => {
        expect(parseEntityAddress(entityAddress({ type: entityType, key }))).toEqual({ type: entityType, key });
      }),
    );
    expect(parseEntityAddress('order/eu/1234')).toEqual({ type: 'order', key: 'eu/1234' });
  });

  it('refuse text without a type or a key, with one message and a code to match', () => {
    for (const text of ['', 'team', '/red-foxes', 'team/']) {
      expect(parseEntityAddress(text)).toBeUndefined();
      let thrown: unknown;
      try {
        requireEntityAddress(text);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(EntityAddressError);
      expect(hasErrorCode(thrown, 'ENTITY_ADDRESS_INVALID')).toBe(true);
      expect(hasErrorCode(thrown, 'CONFIG_INVALID')).toBe(false);
      expect((thrown as Error).message).toBe(
        `"${text}" does not name an entity: write <entityType>/<key>, e.g. team/red-foxes`,
      );
    }
  });
});
