import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExpressionError, evaluateCondition, evaluateExpression } from '../../src/rules/conditions.js';

describe('evaluateCondition', () => {
  it('compares JSON numbers with CEL int literals', () => {
    expect(evaluateCondition('size(state.found) == 5', { state: { found: [1, 2, 3, 4, 5] } })).toBe(true);
    expect(evaluateCondition('state.wrongAnswers >= 3', { state: { wrongAnswers: 3 } })).toBe(true);
    expect(evaluateCondition('state.wrongAnswers >= 3', { state: { wrongAnswers: 2 } })).toBe(false);
    expect(evaluateCondition('event.data.amount > 0.5', { event: { data: { amount: 1 } } })).toBe(true);
  });

  it('mixes JSON numbers and int literals in arithmetic', () => {
    expect(evaluateExpression('state.score + 1', { state: { score: 41 } })).toBe(42);
    expect(evaluateExpression('state.n / 2', { state: { n: 3 } })).toBe(1.5);
    expect(evaluateExpression('state.n % 2', { state: { n: 3 } })).toBe(1);
    expect(evaluateExpression('2 * data.amount', { data: { amount: 1.25 } })).toBe(2.5);
  });

  it('returns plain JSON: ints as numbers, timestamps as ISO text, durations as ms', () => {
    expect(evaluateExpression('1 + 2', {})).toBe(3);
    expect(evaluateExpression('[1, "a", {"k": 2}]', {})).toEqual([1, 'a', { k: 2 }]);
    expect(evaluateExpression('timestamp("2026-01-01T00:00:00Z")', {})).toBe('2026-01-01T00:00:00.000Z');
    expect(evaluateExpression('duration("1h30m")', {})).toBe(5_400_000);
  });

  it('throws ExpressionError with a code', () => {
    expect(() => evaluateCondition('state.missing', { state: {} })).toThrow(ExpressionError);
    expect(() => evaluateCondition('1 +', {})).toThrow(expect.objectContaining({ code: 'EXPRESSION_INVALID' }));
    expect(() => evaluateCondition('1 + 1', {})).toThrow(expect.objectContaining({ code: 'EXPRESSION_NOT_BOOLEAN' }));
    expect(() => evaluateCondition('state.a.b', { state: { a: 1 } })).toThrow(
      expect.objectContaining({ code: 'EXPRESSION_FAILED' }),
    );
  });

  it('has() tests presence without failing', () => {
    expect(evaluateCondition('!has(state.cancelled) || !state.cancelled', { state: {} })).toBe(true);
  });

  it('integer comparisons agree with JS', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: -1e9, max: 1e9 }), (a, b) => {
        expect(evaluateCondition(`state.a >= ${b}`, { state: { a } })).toBe(a >= b);
        expect(evaluateCondition(`state.a == ${b}`, { state: { a } })).toBe(a === b);
        expect(evaluateExpression(`state.a + ${b}`, { state: { a } })).toBe(a + b);
      }),
    );
  });

  it('any JSON value read from the scope comes back equal', () => {
    fc.assert(
      fc.property(fc.jsonValue({ noUnicodeString: false }), (value) => {
        const normalized = JSON.parse(JSON.stringify(value)) as unknown;
        expect(evaluateExpression('data.x', { data: { x: normalized as never } })).toEqual(normalized);
      }),
    );
  });
});
