/** `npm run bench`'s size flags: scenario 9's entity count, cache and build time, refused when they are not numbers. */
import { describe, expect, it } from 'vitest';
import { FULL, QUICK, benchSizes } from '../../bench/bench-options.js';

describe('benchSizes', () => {
  it('gives the quick or the full sizes as they are without flags', () => {
    expect(benchSizes({ quick: true })).toEqual(QUICK);
    expect(benchSizes({ quick: false })).toEqual(FULL);
  });

  it('sets scenario 9 only: its entities (the wave keeps its share of them) and its build minutes', () => {
    const sizes = benchSizes({ quick: false, entities: '20000', buildMinutes: '90' });
    expect(sizes.scale).toEqual({ ...FULL.scale, entities: 20_000, wave: 2_000, buildMinutes: 90 });
    expect({ ...sizes, scale: FULL.scale }).toEqual(FULL);
    expect(FULL.scale.entities).toBe(100_000);
  });

  it("sets scenario 9's worker cache, below its entities", () => {
    expect(benchSizes({ quick: false, entities: '4000', cache: '200' }).scale).toEqual({
      ...FULL.scale,
      entities: 4_000,
      wave: 400,
      cache: 200,
    });
  });

  it.each([
    [{ entities: '0' }, /--entities 0: expected a whole number/],
    [{ entities: '2.5' }, /--entities 2.5: expected a whole number/],
    [{ entities: 'many' }, /--entities many: expected a whole number/],
    [{ buildMinutes: '-1' }, /--build-minutes -1: expected a number of minutes/],
    [{ buildMinutes: 'soon' }, /--build-minutes soon: expected a number of minutes/],
    [{ cache: '0' }, /--cache 0: expected a whole number of entities > 0 and below 2000/],
    [{ cache: '2000' }, /--cache 2000: expected a whole number of entities > 0 and below 2000/],
  ])('refuses %j', (flags, message) => {
    expect(() => benchSizes({ quick: true, ...flags })).toThrow(message);
  });
});
