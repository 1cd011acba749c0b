/**
 * The language does what it says (issue 16): `if` on an absence rule at the deadline, `count` modes,
 * `end` explaining what it cancels and stopping later actions — and the legacy meanings that runs started
 * before the fix keep while they replay.
 */
import { describe, expect, it } from 'vitest';
import type { CompiledAction, CompiledRule } from '../../src/config/compiled.js';
import { EntityMachine, LEGACY_SEMANTICS } from '../../src/rules/entity-machine.js';
import type { LanguageSemantics } from '../../src/rules/entity-machine.js';
import type { Decision } from '../../src/rules/types.js';
import { MIN, event, rule, team, teamConfig } from './config-fixture.js';

const mail: CompiledAction = { kind: 'call', connector: 'mailer', body: { to: '{{ entity.key }}' } };
const events = {
  raised: [{ op: 'set' as const, path: 'resolved', value: false }],
  resolved: [{ op: 'set' as const, path: 'resolved', value: true }],
  acknowledged: [],
  alert: [],
  close: [],
};

function machineWith(rules: CompiledRule[], semantics?: LanguageSemantics) {
  return new EntityMachine(teamConfig(events, rules, { resolved: false }), team, undefined, {
    ...(semantics && { semantics }),
  });
}
const fired = (decision: Decision | undefined) => decision?.firings.map((f) => f.ruleId) ?? [];

const escalate = rule('escalate', {
  on: [{ type: 'raised' }],
  if: '!state.resolved',
  timing: { kind: 'unless', event: { type: 'acknowledged' }, windowMs: 5 * MIN },
  then: [mail],
});

describe('unless + if: the condition is checked at the deadline', () => {
  it('does not escalate an incident resolved before the deadline', () => {
    const machine = machineWith([escalate]);
    machine.handleEvent(event('raised', {}, { id: 'inc-1' }), 0);
    machine.handleEvent(event('resolved'), 2 * MIN);
    const [decision] = machine.fireDue(5 * MIN);
    expect(fired(decision)).toEqual([]);
    expect(decision?.trace?.verdicts[0]).toMatchObject({ ruleId: 'escalate', fired: false, clause: 'if' });
    expect(decision?.trace?.verdicts[0]?.reason).toContain('"!state.resolved" is false at the deadline');
  });

  it('escalates when the condition holds at the deadline, even if it was false at the trigger', () => {
    const machine = machineWith([escalate]);
    machine.handleEvent(event('resolved'), 0);
    // The trigger's reducer makes the condition true again; what counts is the deadline.
    const opened = machine.handleEvent(event('raised', {}, { id: 'inc-2' }), MIN);
    expect(opened.trace?.verdicts[0]?.reason).toContain('and "!state.resolved" holds then');
    const [decision] = machine.fireDue(6 * MIN);
    expect(decision?.firings[0]).toMatchObject({ ruleId: 'escalate', eventId: 'inc-2', cause: 'timer' });
  });

  it('legacy runs keep checking the condition when the trigger arrives', () => {
    const machine = machineWith([escalate], LEGACY_SEMANTICS);
    machine.handleEvent(event('raised'), 0);
    machine.handleEvent(event('resolved'), 2 * MIN);
    expect(fired(machine.fireDue(5 * MIN)[0])).toEqual(['escalate']);
  });
});

describe('count: reset or sliding, as written', () => {
  const storm = (mode?: 'reset' | 'sliding') =>
    rule('storm', {
      on: [{ type: 'alert' }],
      timing: { kind: 'count', count: 3, windowMs: 10 * MIN, ...(mode && { mode }) },
      then: [mail],
    });

  it('reset (the default, and configs compiled before modes): the 4th match in the window is "1 of 3"', () => {
    for (const machine of [machineWith([storm('reset')]), machineWith([storm()])]) {
      machine.handleEvent(event('alert'), 0);
      machine.handleEvent(event('alert'), MIN);
      const third = machine.handleEvent(event('alert'), 2 * MIN);
      expect(fired(third)).toEqual(['storm']);
      expect(third.trace?.verdicts[0]?.reason).toContain('the count starts again');
      const fourth = machine.handleEvent(event('alert'), 3 * MIN);
      expect(fired(fourth)).toEqual([]);
      expect(fourth.trace?.verdicts[0]?.reason).toContain('1 of 3');
    }
  });

  it('sliding: every match while 3 are within the window fires', () => {
    const machine = machineWith([storm('sliding')]);
    machine.handleEvent(event('alert'), 0);
    machine.handleEvent(event('alert'), MIN);
    expect(fired(machine.handleEvent(event('alert'), 2 * MIN))).toEqual(['storm']);
    const fourth = machine.handleEvent(event('alert'), 3 * MIN);
    expect(fired(fourth)).toEqual(['storm']);
    expect(fourth.trace?.verdicts[0]?.reason).toContain('(sliding)');
    // At 12m the matches of 0m, 1m and 2m have left: only 3m and 12m are in the window.
    expect(fired(machine.handleEvent(event('alert'), 12 * MIN))).toEqual([]);
    // Memory stays bounded: at most times-1 hits are kept.
    expect(((machine.snapshot().rules.storm as { hits?: number[] }).hits ?? []).length).toBeLessThanOrEqual(2);
  });
});

describe('end', () => {
  const waiting = rule('escalate', {
    on: [{ type: 'raised' }],
    timing: { kind: 'unless', event: { type: 'acknowledged' }, windowMs: 5 * MIN },
    then: [mail],
  });
  const closing = (then: CompiledAction[]) => rule('close', { on: [{ type: 'close' }], then });

  it('traces every deadline it cancels', () => {
    const machine = machineWith([waiting, closing([{ kind: 'end', reason: 'closed' }])]);
    machine.handleEvent(event('raised', {}, { id: 'inc-1' }), 0);
    const decision = machine.handleEvent(event('close'), MIN);
    expect(decision.ended).toBe(true);
    const cancelled = decision.trace?.verdicts.find((v) => v.clause === 'end');
    expect(cancelled).toMatchObject({ ruleId: 'escalate', fired: false });
    expect(cancelled?.reason).toContain('cancelled');
    expect(cancelled?.reason).toContain('inc-1');
    expect(cancelled?.reason).toContain('the entity ended (closed)');
  });

  it('stops the actions written after it in the same then', () => {
    const machine = machineWith([closing([{ kind: 'end' }, mail])]);
    const decision = machine.handleEvent(event('close'), 0);
    expect(decision.firings[0]?.actions.map((a) => a.action.kind)).toEqual(['end']);
  });

  it('legacy runs still plan the actions after end', () => {
    const machine = machineWith([closing([{ kind: 'end' }, mail])], LEGACY_SEMANTICS);
    const decision = machine.handleEvent(event('close'), 0);
    expect(decision.firings[0]?.actions.map((a) => a.action.kind)).toEqual(['end', 'call']);
  });
});

describe('unless with several cancelling events', () => {
  const multi = rule('escalate', {
    on: [{ type: 'raised' }],
    timing: { kind: 'unless', event: [{ type: 'acknowledged' }, { type: 'resolved' }], windowMs: 5 * MIN },
    then: [mail],
  });

  it.each(['acknowledged', 'resolved'])('%s cancels the deadline', (type) => {
    const machine = machineWith([multi]);
    machine.handleEvent(event('raised', {}, { id: 'inc-1' }), 0);
    const decision = machine.handleEvent(event(type), MIN);
    expect(decision.trace?.verdicts[0]?.reason).toContain('cancelled the deadline');
    expect(machine.nextDeadline()).toBeUndefined();
  });

  it('fires at the deadline when none arrived, naming them all', () => {
    const machine = machineWith([multi]);
    machine.handleEvent(event('raised', {}, { id: 'inc-1' }), 0);
    expect(machine.timers()[0]?.what).toContain('"acknowledged" or "resolved"');
    const [decision] = machine.fireDue(5 * MIN);
    expect(fired(decision)).toEqual(['escalate']);
    expect(decision?.trace?.verdicts[0]?.reason).toContain('no "acknowledged" or "resolved" within 5m');
  });
});
