import { describe, expect, it } from 'vitest';
import { checkExpression, placeholdersOf, rootsOf } from '../../src/rules/expressions.js';

describe('checkExpression', () => {
  it('accepts valid CEL', () => {
    expect(checkExpression('size(state.found) == 5')).toBeUndefined();
    expect(checkExpression('event.data.amount > 0 && state.paid')).toBeUndefined();
  });

  it('returns the parse error for invalid CEL', () => {
    expect(checkExpression('1 +')).toMatch(/Unexpected token/);
    expect(checkExpression('state.(x')).toBeTypeOf('string');
  });

  it('rejects an empty expression', () => {
    expect(checkExpression('  ')).toMatch(/empty expression/);
  });
});

describe('placeholdersOf', () => {
  it('finds placeholders in nested strings, in order', () => {
    const template = {
      a: 'Hi {{ entity.key }}, {{ data.n }}!',
      b: ['{{ env.URL }}', 3, null],
      c: { d: '{{state.x}}' },
    };
    expect(placeholdersOf(template)).toEqual(['entity.key', 'data.n', 'env.URL', 'state.x']);
  });

  it('does not end a placeholder at braces inside map literals or strings', () => {
    expect(placeholdersOf('{{ {"a": {"b": 1}} }}')).toEqual(['{"a": {"b": 1}}']);
    expect(placeholdersOf('{{ "}}" + data.x }}')).toEqual(['"}}" + data.x']);
  });

  it('ignores text without a closed placeholder', () => {
    expect(placeholdersOf('plain {{ open')).toEqual([]);
    expect(placeholdersOf(42)).toEqual([]);
  });
});

describe('rootsOf', () => {
  it('lists root variables, not macro loop variables', () => {
    expect(rootsOf('state.found.all(x, x in env.ALLOWED) && has(event.data.y)').sort()).toEqual([
      'env',
      'event',
      'state',
    ]);
  });
});
