import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Pattern } from '../../src/config/compiled.js';
import { matchPattern } from '../../src/rules/patterns.js';

const ev = (data: unknown, extra: Record<string, unknown> = {}) => ({ type: 't', source: 's', data, ...extra });
const matches = (pattern: Pattern, subject: unknown) => matchPattern(pattern, subject).matched;

describe('matchPattern', () => {
  it('matches literal values, any of a list', () => {
    expect(matches({ data: { color: ['red', 'blue'] } }, ev({ color: 'blue' }))).toBe(true);
    expect(matches({ data: { color: ['red'] } }, ev({ color: 'blue' }))).toBe(false);
    expect(matches({ data: { n: [3] } }, ev({ n: 3 }))).toBe(true);
    expect(matches({ data: { ok: [true] } }, ev({ ok: false }))).toBe(false);
    expect(matches({ data: { v: [null] } }, ev({ v: null }))).toBe(true);
  });

  it('matches envelope attributes next to data', () => {
    expect(matches({ source: ['s'], data: { a: [1] } }, ev({ a: 1 }))).toBe(true);
    expect(matches({ subject: [{ prefix: 'team/' }] }, ev({}, { subject: 'team/red' }))).toBe(true);
  });

  it('matches arrays when any element matches', () => {
    expect(matches({ data: { tags: ['vip'] } }, ev({ tags: ['new', 'vip'] }))).toBe(true);
    expect(matches({ data: { tags: ['vip'] } }, ev({ tags: [] }))).toBe(false);
    expect(matches({ data: { items: { sku: ['A'] } } }, ev({ items: [{ sku: 'B' }, { sku: 'A' }] }))).toBe(true);
  });

  it('supports prefix, suffix, wildcard and equals-ignore-case', () => {
    expect(matches({ data: { c: [{ prefix: 'cp-' }] } }, ev({ c: 'cp-1' }))).toBe(true);
    expect(matches({ data: { c: [{ suffix: '.png' }] } }, ev({ c: 'a.png' }))).toBe(true);
    expect(matches({ data: { c: [{ wildcard: 'cp-*-x' }] } }, ev({ c: 'cp-12-x' }))).toBe(true);
    expect(matches({ data: { c: [{ wildcard: 'a\\*b' }] } }, ev({ c: 'a*b' }))).toBe(true);
    expect(matches({ data: { c: [{ wildcard: 'a\\*b' }] } }, ev({ c: 'axb' }))).toBe(false);
    expect(matches({ data: { c: [{ 'equals-ignore-case': 'RED' }] } }, ev({ c: 'rEd' }))).toBe(true);
    expect(matches({ data: { c: [{ prefix: 'cp' }] } }, ev({ c: 5 }))).toBe(false);
  });

  it('supports numeric ranges', () => {
    const p: Pattern = { data: { n: [{ numeric: ['>', 0, '<=', 5] }] } };
    expect(matches(p, ev({ n: 5 }))).toBe(true);
    expect(matches(p, ev({ n: 0 }))).toBe(false);
    expect(matches(p, ev({ n: '3' }))).toBe(false);
    expect(matches({ data: { n: [{ numeric: ['=', 3] }] } }, ev({ n: 3 }))).toBe(true);
  });

  it('supports exists', () => {
    expect(matches({ data: { x: [{ exists: true }] } }, ev({ x: 0 }))).toBe(true);
    expect(matches({ data: { x: [{ exists: true }] } }, ev({}))).toBe(false);
    expect(matches({ data: { x: [{ exists: false }] } }, ev({}))).toBe(true);
    expect(matches({ data: { x: [{ exists: false }] } }, ev({ x: null }))).toBe(false);
  });

  it('supports anything-but with a value, a list, a prefix and a suffix', () => {
    expect(matches({ data: { s: [{ 'anything-but': 'bad' }] } }, ev({ s: 'good' }))).toBe(true);
    expect(matches({ data: { s: [{ 'anything-but': 'bad' }] } }, ev({ s: 'bad' }))).toBe(false);
    expect(matches({ data: { s: [{ 'anything-but': ['a', 'b'] }] } }, ev({ s: 'b' }))).toBe(false);
    expect(matches({ data: { s: [{ 'anything-but': { prefix: 'test-' } }] } }, ev({ s: 'test-1' }))).toBe(false);
    expect(matches({ data: { s: [{ 'anything-but': { suffix: '.tmp' } }] } }, ev({ s: 'x.txt' }))).toBe(true);
    // Like EventBridge, anything-but needs the field to be present.
    expect(matches({ data: { s: [{ 'anything-but': 'bad' }] } }, ev({}))).toBe(false);
  });

  it('supports $or, as a key and as a field value', () => {
    const keyed = { $or: [{ data: { a: [1] } }, { data: { b: [2] } }] } as unknown as Pattern;
    expect(matches(keyed, ev({ b: 2 }))).toBe(true);
    expect(matches(keyed, ev({ a: 2, b: 1 }))).toBe(false);
    const valued: Pattern = { data: { $or: [{ a: [1] }, { b: [2] }] } };
    expect(matches(valued, ev({ a: 1 }))).toBe(true);
    expect(matches(valued, ev({ a: 3 }))).toBe(false);
  });

  it('says which field failed on which value', () => {
    const result = matchPattern({ data: { amount: [{ numeric: ['>', 0] }] } }, ev({ amount: 0 }));
    expect(result).toEqual({ matched: false, path: 'data.amount', reason: 'data.amount is 0, not a number > 0' });
    const missing = matchPattern({ data: { c: [{ prefix: 'cp-' }] } }, ev({}));
    expect(missing.matched).toBe(false);
    if (!missing.matched) expect(missing.reason).toBe('data.c is missing, not starting with "cp-"');
  });

  it('prefix and suffix agree with startsWith / endsWith', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (value, affix) => {
        expect(matches({ data: { v: [{ prefix: affix }] } }, ev({ v: value }))).toBe(value.startsWith(affix));
        expect(matches({ data: { v: [{ suffix: affix }] } }, ev({ v: value }))).toBe(value.endsWith(affix));
      }),
    );
  });

  it('numeric ranges agree with a direct comparison', () => {
    const num = fc.double({ noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(num, num, num, (value, low, high) => {
        const expected = value > low && value <= high;
        expect(matches({ data: { v: [{ numeric: ['>', low, '<=', high] }] } }, ev({ v: value }))).toBe(expected);
      }),
    );
  });

  it('wildcard without stars is equality; a star matches any infix', () => {
    const plain = fc.string().filter((s) => !s.includes('*') && !s.includes('\\'));
    fc.assert(
      fc.property(plain, plain, plain, (a, b, middle) => {
        expect(matches({ data: { v: [{ wildcard: a }] } }, ev({ v: b }))).toBe(a === b);
        expect(matches({ data: { v: [{ wildcard: `${a}*${b}` }] } }, ev({ v: `${a}${middle}${b}` }))).toBe(true);
      }),
    );
  });
});
