import { describe, expect, it } from 'vitest';
import { ReducerError, applyReducer, applyReducers } from '../../src/rules/reducers.js';

const scope = { data: { checkpoint: 'cp-1', amount: 5, extra: { a: 1 } } };

describe('reducers', () => {
  it('set writes at a dotted path, creating objects, without touching the input', () => {
    const state = { a: { keep: true } };
    const next = applyReducer(state, { op: 'set', path: 'a.b.c', value: '{{ data.amount }}' }, scope);
    expect(next).toEqual({ a: { keep: true, b: { c: 5 } } });
    expect(state).toEqual({ a: { keep: true } });
  });

  it('increment adds the amount (default 1) to a number or nothing', () => {
    expect(applyReducer({}, { op: 'increment', path: 'n' }, scope)).toEqual({ n: 1 });
    expect(applyReducer({ n: 2 }, { op: 'increment', path: 'n', value: '{{ data.amount }}' }, scope)).toEqual({ n: 7 });
  });

  it('append, remove by value and merge', () => {
    const appended = applyReducer(
      { found: ['cp-0'] },
      { op: 'append', path: 'found', value: '{{ data.checkpoint }}' },
      scope,
    );
    expect(appended).toEqual({ found: ['cp-0', 'cp-1'] });
    expect(applyReducer(appended, { op: 'remove', path: 'found', value: 'cp-0' }, scope)).toEqual({ found: ['cp-1'] });
    expect(applyReducer({ m: { b: 2 } }, { op: 'merge', path: 'm', value: '{{ data.extra }}' }, scope)).toEqual({
      m: { b: 2, a: 1 },
    });
  });

  it('later reducers see the state left by earlier ones', () => {
    const next = applyReducers(
      { n: 1 },
      [
        { op: 'increment', path: 'n' },
        { op: 'set', path: 'double', value: '{{ state.n * 2 }}' },
      ],
      scope,
    );
    expect(next).toEqual({ n: 2, double: 4 });
  });

  it('throws ReducerError on type mismatches, bad paths and failing templates', () => {
    expect(() => applyReducer({ n: 'x' }, { op: 'increment', path: 'n' }, scope)).toThrow(ReducerError);
    expect(() => applyReducer({ l: 3 }, { op: 'append', path: 'l', value: 1 }, scope)).toThrow(/not a list/);
    expect(() => applyReducer({ a: 1 }, { op: 'set', path: 'a.b', value: 1 }, scope)).toThrow(/not an object/);
    expect(() => applyReducer({}, { op: 'set', path: '__proto__.x', value: 1 }, scope)).toThrow(ReducerError);
    expect(() => applyReducer({}, { op: 'set', path: 'x', value: '{{ data.nope }}' }, scope)).toThrow(ReducerError);
    expect(() => applyReducer({}, { op: 'merge', path: 'm', value: 3 }, scope)).toThrow(/not an object/);
  });
});
