import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { percentile, slope, spread } from '../../bench/stats.js';

describe('bench stats', () => {
  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([], 50)).toBeNaN();
  });

  it('keeps every percentile between min and max, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { minLength: 1 }), (values) => {
        const s = spread(values);
        expect(s.min).toBeLessThanOrEqual(s.median);
        expect(s.median).toBeLessThanOrEqual(s.max);
        expect(percentile(values, 50)).toBeLessThanOrEqual(percentile(values, 99));
      }),
    );
  });

  it('fits the slope of a line', () => {
    expect(slope([0, 1, 2, 3].map((x) => ({ x, y: 5 + 2.5 * x })))).toBeCloseTo(2.5);
    expect(slope([{ x: 1, y: 1 }])).toBeNaN();
  });
});
