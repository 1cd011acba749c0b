import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyBehaviour,
  healthyState,
  parseBehaviour,
  parseSandboxDuration,
  SandboxBehaviourError,
  toBehaviour,
} from '../../src/sandbox/behaviour.js';

describe('parseBehaviour', () => {
  it.each([
    ['fail first 3', { kind: 'failFirst', count: 3 }],
    ['fail first 2 with status 429 retry-after 1', { kind: 'failFirst', count: 2, status: 429, retryAfter: '1' }],
    ['Fail  First 1 status 500', { kind: 'failFirst', count: 1, status: 500 }],
    ['fail with status 400', { kind: 'failWith', status: 400 }],
    ['fail with status 503 retry-after 2', { kind: 'failWith', status: 503, retryAfter: '2' }],
    ['delay 250ms', { kind: 'delay', ms: 250 }],
    ['delay 2s', { kind: 'delay', ms: 2000 }],
    ['down for 1m', { kind: 'down', ms: 60_000 }],
    ['reset', { kind: 'reset' }],
  ])('understands "%s"', (phrase, expected) => {
    expect(parseBehaviour(phrase)).toEqual(expected);
  });

  it.each([
    'fail',
    'fail first many',
    'fail with status 99',
    'delay soon',
    'down 2s',
    'explode',
    'fail first 1 banana',
  ])('rejects "%s" with the usage', (phrase) => {
    expect(() => parseBehaviour(phrase)).toThrow(SandboxBehaviourError);
  });
});

describe('parseSandboxDuration', () => {
  it('reads whole seconds and milliseconds', () => {
    fc.assert(
      fc.property(
        fc.nat(100_000),
        (n) => parseSandboxDuration(`${n}s`) === n * 1000 && parseSandboxDuration(`${n}`) === n,
      ),
    );
  });
});

describe('toBehaviour', () => {
  it('accepts data and phrases, and rejects unknown kinds or bad numbers', () => {
    expect(toBehaviour({ kind: 'failFirst', count: 2, status: 502 })).toEqual({
      kind: 'failFirst',
      count: 2,
      status: 502,
    });
    expect(toBehaviour('delay 5')).toEqual({ kind: 'delay', ms: 5 });
    expect(() => toBehaviour({ kind: 'explode' })).toThrow(/unknown behaviour kind/);
    expect(() => toBehaviour({ kind: 'delay', ms: -1 })).toThrow(/non-negative number "ms"/);
    expect(() => toBehaviour(42)).toThrow(SandboxBehaviourError);
  });
});

describe('applyBehaviour', () => {
  it('combines behaviours of different kinds and resets to healthy', () => {
    let state = applyBehaviour(healthyState(), { kind: 'delay', ms: 100 }, 0);
    state = applyBehaviour(state, { kind: 'failFirst', count: 2 }, 0);
    state = applyBehaviour(state, { kind: 'down', ms: 500 }, 1000);
    expect(state).toMatchObject({ delayMs: 100, failRemaining: 2, failFirstStatus: 503, downUntil: 1500 });
    expect(applyBehaviour(state, { kind: 'reset' }, 2000)).toEqual(healthyState());
  });
});
