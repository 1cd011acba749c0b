import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { didYouMean, editDistance } from '../../src/config/did-you-mean.js';
import { formatDuration, parseDuration } from '../../src/config/durations.js';
import { formatJoin, parseJoinExpression } from '../../src/config/join-expression.js';
import { checkPattern } from '../../src/config/pattern-syntax.js';
import { formatPath } from '../../src/config/paths.js';
import { compileStatuses, formatStatuses } from '../../src/config/success-statuses.js';

describe('durations', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
  ])('%s → %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '5', '2 hours', 'h', '1w', '-1s', '1s 2m'])('rejects %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );

  it('formats and parses back', () => {
    fc.assert(
      fc.property(fc.nat(10 * 86_400_000), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });
});

describe('did you mean', () => {
  it('suggests close names only', () => {
    expect(didYouMean('checkpoint.scaned', ['checkpoint.scanned', 'payment.succeeded'])).toBe('checkpoint.scanned');
    expect(didYouMean('mialer', ['mailer', 'payouts'])).toBe('mailer');
    expect(didYouMean('zzz', ['mailer'])).toBeUndefined();
    expect(editDistance('ab', 'ba')).toBe(1);
  });
});

describe('join expressions', () => {
  it('parses precedence and parentheses', () => {
    const parsed = parseJoinExpression('a && (b || c) && d.e');
    expect(parsed.ok && formatJoin(parsed.join)).toBe('a && (b || c) && d.e');
    const mixed = parseJoinExpression('a && b || c');
    expect(mixed.ok && formatJoin(mixed.join)).toBe('(a && b) || c');
  });

  it.each([
    ['a &&', 'expression ends too early'],
    ['(a || b', 'never closed'],
    ['a b', 'unexpected "b"'],
    ['a & b', 'unexpected "&"'],
  ])('rejects %j with a message', (source, message) => {
    const parsed = parseJoinExpression(source);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toContain(message);
  });

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string(), (text) => void parseJoinExpression(text)));
  });
});

describe('patterns', () => {
  it('accepts every matcher kind', () => {
    expect(
      checkPattern({
        source: ['payments'],
        data: {
          a: 'x',
          b: [{ prefix: 'p' }, { suffix: 's' }, { wildcard: '*x*' }, { 'equals-ignore-case': 'X' }, { exists: true }],
          c: [{ numeric: ['>', 0, '<=', 5] }, { 'anything-but': ['x', 'y'] }, { 'anything-but': { prefix: 'z' } }],
          $or: [{ d: [1] }, { e: [null] }],
        },
      }),
    ).toEqual([]);
  });

  it('explains bad matchers with their paths', () => {
    expect(
      checkPattern({ data: { a: [{ numeric: ['>>', 1] }], b: [], c: [{ prefix: 1 }], $or: [{ x: [1] }] } }),
    ).toEqual([
      { path: ['data', 'a', 0, 'numeric'], message: expect.stringMatching(/numeric takes/) },
      { path: ['data', 'b'], message: expect.stringMatching(/empty list/) },
      { path: ['data', 'c', 0, 'prefix'], message: 'prefix takes a string' },
      { path: ['data', '$or'], message: expect.stringMatching(/at least two/) },
    ]);
  });
});

describe('paths and statuses', () => {
  it('formats paths', () => {
    expect(formatPath(['rules', 2, 'on'])).toBe('rules[2].on');
    expect(formatPath(['events', 'a.b', 'schema'])).toBe('events["a.b"].schema');
    expect(formatPath([])).toBe('(root)');
  });

  it('compiles status specs to merged ranges', () => {
    expect(compileStatuses(undefined)).toEqual([[200, 299]]);
    expect(compileStatuses([200, 201, '2xx', 409, '410-412'])).toEqual([
      [200, 299],
      [409, 412],
    ]);
    expect(formatStatuses(compileStatuses(['2xx', 304]))).toBe('2xx, 304');
  });
});
