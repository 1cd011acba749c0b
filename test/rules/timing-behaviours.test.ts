/**
 * The docs' sentence and the engine's firing come from one behaviour per timing kind; these properties check
 * that, for random event sequences, what the sentence says is what the simulator does (issue 16).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CompiledAction, CompiledRule, CountMode } from '../../src/config/compiled.js';
import { describeRule } from '../../src/config/docs.js';
import { simulate } from '../../src/rules/simulate.js';
import type { SimulationEvent } from '../../src/rules/simulate.js';
import { timingBehaviours } from '../../src/rules/timing-behaviours.js';
import { MIN, rule, teamConfig } from './config-fixture.js';

const mail: CompiledAction = { kind: 'call', connector: 'mailer' };
const reducers = {
  raised: [],
  acknowledged: [],
  resolved: [{ op: 'set' as const, path: 'resolved', value: true }],
  reopened: [{ op: 'set' as const, path: 'resolved', value: false }],
  alert: [],
};

/** Events at non-decreasing times (ms), as the simulator reads them. */
const sequence = (types: string[]) =>
  fc
    .array(fc.tuple(fc.constantFrom(...types), fc.integer({ min: 0, max: 4 * MIN })), { maxLength: 25 })
    .map((items) => {
      let at = 0;
      return items.map(([type, gap], i): SimulationEvent => {
        at += gap;
        return { id: `e${i}`, source: 'test', type, specversion: '1.0', data: { teamId: 't1' }, at };
      });
    });

describe('unless + if: the docs say "at that deadline" and the simulator fires ⇔ the condition holds then', () => {
  const escalate: CompiledRule = rule('escalate', {
    on: [{ type: 'raised' }],
    if: '!state.resolved',
    timing: { kind: 'unless', event: { type: 'acknowledged' }, windowMs: 5 * MIN },
    then: [mail],
  });
  const config = teamConfig(reducers, [escalate], { resolved: false });

  it('says where the condition is checked', () => {
    expect(describeRule(escalate)).toContain('does not follow within 5m, if `!state.resolved` at that deadline');
  });

  it('fires at each deadline exactly when the condition is true at that deadline', () => {
    fc.assert(
      fc.property(sequence(['raised', 'acknowledged', 'resolved', 'reopened']), (events) => {
        // A reference model written from the sentence alone.
        const expected: Array<[number, boolean]> = [];
        let resolved = false;
        let pending: number | undefined;
        const due = (now: number) => {
          if (pending !== undefined && pending <= now) {
            expected.push([pending, !resolved]);
            pending = undefined;
          }
        };
        for (const event of events) {
          const at = event.at as number;
          due(at);
          if (event.type === 'resolved') resolved = true;
          if (event.type === 'reopened') resolved = false;
          if (event.type === 'acknowledged') pending = undefined;
          if (event.type === 'raised' && pending === undefined) pending = at + 5 * MIN;
        }
        due(Number.POSITIVE_INFINITY);
        const timerSteps = simulate(config, events).steps.filter((s) => s.kind === 'timer');
        expect(timerSteps.map((s) => [s.at, s.fired.includes('escalate')])).toEqual(expected);
      }),
    );
  });
});

describe('count: the docs name the mode and the simulator counts that way', () => {
  const storm = (mode: CountMode): CompiledRule =>
    rule('storm', {
      on: [{ type: 'alert' }],
      timing: { kind: 'count', count: 3, windowMs: 5 * MIN, mode },
      then: [mail],
    });

  it.each([
    ['reset', 'the count starts again after it fires'],
    ['sliding', 'sliding: every further one'],
  ] as const)('%s: says so', (mode, words) => {
    expect(describeRule(storm(mode))).toContain(words);
  });

  it.each(['reset', 'sliding'] as const)('%s: fires exactly where the sentence says', (mode) => {
    const config = teamConfig(reducers, [storm(mode)]);
    fc.assert(
      fc.property(sequence(['alert']), (events) => {
        let hits: number[] = [];
        const expected = events.map((event) => {
          const at = event.at as number;
          hits = [...hits.filter((h) => h + 5 * MIN > at), at];
          if (hits.length < 3) return false;
          if (mode === 'reset') hits = [];
          return true;
        });
        const steps = simulate(config, events).steps.filter((s) => s.kind === 'event');
        expect(steps.map((s) => s.fired.includes('storm'))).toEqual(expected);
      }),
    );
  });
});

describe('every timing kind has one behaviour', () => {
  it('covers the kinds of the compiled language', () => {
    expect(Object.keys(timingBehaviours).sort()).toEqual(
      ['all', 'count', 'debounce', 'none', 'throttle', 'unless', 'within'].sort(),
    );
  });
});
